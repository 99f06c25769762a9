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

/// Registers an FTS5 auxiliary function on a connection, through the pointer FTS5 hands out for
/// `SELECT fts5(?1)` (the documented way). Returns SQLITE_ERROR when the library has no FTS5.
static inline int praxis_fts5_create_function(sqlite3 *db, const char *name, fts5_extension_function function) {
    fts5_api *api = 0;
    sqlite3_stmt *statement = 0;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, 0) == SQLITE_OK) {
        sqlite3_bind_pointer(statement, 1, (void *)&api, "fts5_api_ptr", 0);
        sqlite3_step(statement);
    }
    sqlite3_finalize(statement);
    if (api == 0 || api->iVersion < 2) return SQLITE_ERROR;
    return api->xCreateFunction(api, name, 0, function, 0);
}

#endif
