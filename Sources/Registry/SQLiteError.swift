import CSQLite

/// A failed SQLite call: SQLite's own message (`sqlite3_errmsg`), the extended
/// result code (`sqlite3_extended_errcode`, e.g. 2067 = SQLITE_CONSTRAINT_UNIQUE)
/// and what lorad was doing when it failed.
///
/// Internal to the SQLite layer; `AdapterRegistry` turns it into
/// `RegistryError.sqlite(code:message:context:)` at its boundary.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// Extended result code (SQLITE_OPEN_EXRESCODE is set on every connection).
    let code: Int32
    let message: String
    /// What was being done, e.g. "prepare: SELECT … FROM adapters" or "blob write at 1048576".
    let context: String

    /// The primary result code (low byte of the extended code, sqlite3.h "Result Codes").
    var primaryCode: Int32 { code & 0xff }

    var description: String {
        "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))) while \(context): \(message)"
    }

    /// Builds the error from the connection's last error. Must be called on the
    /// same connection, under the same confinement, right after the failing
    /// call — otherwise another call may overwrite `sqlite3_errmsg`.
    init(connection db: OpaquePointer?, code: Int32, context: String) {
        self.context = context
        if let db {
            let extended = sqlite3_extended_errcode(db)
            // Some calls (e.g. sqlite3_blob_write on an expired handle) return
            // a code without updating the handle's error state; then the code
            // the call returned is the truth and errmsg may be stale.
            self.code = (extended & 0xff) == (code & 0xff) ? extended : code
            self.message = (extended & 0xff) == (code & 0xff)
                ? String(cString: sqlite3_errmsg(db))
                : String(cString: sqlite3_errstr(code))
        } else {
            self.code = code
            self.message = String(cString: sqlite3_errstr(code))
        }
    }

    /// The same error, saying which file was being read: the first read of
    /// a file not yet known to be a database (SQLITE_NOTADB) names it.
    func reading(_ path: String) -> SQLiteError {
        SQLiteError(code: code, message: message, context: "reading \(path) (\(context))")
    }

    /// An error raised by lorad's own checks inside the SQLite layer.
    init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }
}
