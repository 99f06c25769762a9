// Why this file exists: Swift cannot import variadic C functions (sqlite3_db_config) nor
// function-like macros, so the few we need are wrapped here as static inline functions.
#ifndef PRAXIS_CSQLITE_SHIM_H
#define PRAXIS_CSQLITE_SHIM_H
#include <sqlite3.h>

/// Enables or disables defensive mode (no writable_schema, no shadow table writes).
static inline int praxis_sqlite3_db_config_defensive(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, on, (int *)0);
}

#endif
