// Why this file exists: Swift cannot import variadic C functions (sqlite3_db_config) nor
// function-like macros, so the few we need are wrapped here as static inline functions.
#ifndef PRAXIS_CSQLITE_SHIM_H
#define PRAXIS_CSQLITE_SHIM_H
#include <sqlite3.h>

/// Enables or disables defensive mode (no writable_schema, no shadow table writes).
static inline int praxis_sqlite3_db_config_defensive(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, on, (int *)0);
}

/// Turns off SQLite's memory statistics before the library initialises. With them on, every
/// sqlite3_malloc and sqlite3_free takes one process-wide mutex, which the reader connections
/// working in parallel then contend for. Returns SQLITE_MISUSE when SQLite is already initialised.
static inline int praxis_sqlite3_config_no_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
