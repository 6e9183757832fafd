// SQLite through Debian's libsqlite3-dev. Swift cannot call C variadic
// functions or use the SQLITE_TRANSIENT sentinel (a cast function pointer),
// so those are wrapped here in static inline functions.
#pragma once
#include <sqlite3.h>

/// sqlite3_db_config(db, op, int, int*): the only variadic form lorad uses.
static inline int csqlite_db_config_int(sqlite3 *db, int op, int value, int *out) {
    return sqlite3_db_config(db, op, value, out);
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
