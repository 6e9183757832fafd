import CSQLite
import Foundation

/// A thin, checked wrapper over one `sqlite3*` connection (GRDB / sqlite-nio
/// style): every call's result code is checked and a failure throws
/// `SQLiteError` with SQLite's message, the extended code and the context.
///
/// Threading: a connection is **confined** — not `Sendable`, used by one
/// thread at a time (`AdapterRegistry`'s writer lock, or a reader checked out
/// of `SQLiteReaderPool`). It is opened with `SQLITE_OPEN_NOMUTEX` because
/// SQLite's per-call mutex would not be enough anyway: a transaction spans
/// many calls, and `sqlite3_errmsg` must be read under the same exclusion as
/// the call that failed.
final class SQLiteConnection {
    private(set) var db: OpaquePointer?
    let path: String
    /// Statements reused across calls, keyed by SQL text; finalized in `close()`.
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database at `path`.
    /// - Parameter readOnly: open without write access (and without CREATE).
    init(path: String, readOnly: Bool = false) throws {
        self.path = path
        // NOMUTEX needs a library built thread-safe (1 = serialized or 2 =
        // multi-thread); a single-threaded build would corrupt memory when
        // readers and the writer run on different threads.
        guard sqlite3_threadsafe() != 0 else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "libsqlite3 was built with SQLITE_THREADSAFE=0",
                              context: "opening \(path)")
        }
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            // sqlite3_open_v2 returns a handle even on most failures; it carries
            // the message and must still be closed (sqlite3.h, sqlite3_open).
            let error = SQLiteError(connection: handle, code: rc, context: "opening \(path)")
            sqlite3_close_v2(handle)
            throw error
        }
        // Asked to write, SQLite quietly opens a file it cannot write read-
        // only: every later write would fail. Refused here, by name.
        if !readOnly, sqlite3_db_readonly(handle, "main") == 1 {
            sqlite3_close_v2(handle)
            throw SQLiteError(code: SQLITE_READONLY, message: "the file can only be read (its permissions, or a read-only filesystem); "
                              + "the registry must be writable", context: "opening \(path)")
        }
        db = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    /// Finalizes cached statements and closes the handle. `sqlite3_close_v2`
    /// defers the close until any straggling statement or blob is released,
    /// and the last connection to a WAL database checkpoints it on close.
    func close() {
        for stmt in cache.values { stmt.finalize() }
        cache.removeAll()
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    func live(_ what: String) throws -> OpaquePointer {
        guard let db else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "connection is closed", context: what)
        }
        return db
    }

    // MARK: Statements

    /// A cached prepared statement for `sql`, reset and ready to bind.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let stmt = cache[sql] {
            stmt.reset()
            return stmt
        }
        let stmt = try SQLiteStatement(db: try live("preparing"), sql: sql, persistent: true)
        cache[sql] = stmt
        return stmt
    }

    /// Runs one statement that returns no rows; returns `sqlite3_changes64`.
    @discardableResult
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int64 {
        let stmt = try statement(sql)
        defer { stmt.reset() }
        try stmt.bind(values)
        while try stmt.step() {}
        return sqlite3_changes64(try live("counting changes"))
    }

    /// Runs one query and maps every row.
    func query<T>(_ sql: String, _ values: [SQLiteValue] = [],
                  row: (SQLiteStatement) throws -> T) throws -> [T] {
        let stmt = try statement(sql)
        defer { stmt.reset() }
        try stmt.bind(values)
        var rows: [T] = []
        while try stmt.step() { rows.append(try row(stmt)) }
        return rows
    }

    /// The first row of a query, or nil.
    func queryFirst<T>(_ sql: String, _ values: [SQLiteValue] = [],
                       row: (SQLiteStatement) throws -> T) throws -> T? {
        let stmt = try statement(sql)
        defer { stmt.reset() }
        try stmt.bind(values)
        return try stmt.step() ? row(stmt) : nil
    }

    /// Executes a script of fixed SQL (DDL, PRAGMAs), one prepared statement
    /// at a time; any result rows are discarded. Never pass request data here —
    /// values go through `run(_:_:)`'s bindings.
    func execute(_ script: String) throws {
        let db = try live("executing script")
        try script.withCString { start in
            var cursor: UnsafePointer<CChar>? = start
            while let sqlStart = cursor, sqlStart.pointee != 0 {
                var stmt: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(db, sqlStart, -1, &stmt, &tail)
                guard rc == SQLITE_OK else {
                    throw SQLiteError(connection: db, code: rc,
                                      context: "preparing \(SQLiteStatement.abbreviate(String(cString: sqlStart)))")
                }
                defer { sqlite3_finalize(stmt) }
                cursor = tail
                guard let stmt else { continue }  // whitespace or a comment
                var step = sqlite3_step(stmt)
                while step == SQLITE_ROW { step = sqlite3_step(stmt) }
                guard step == SQLITE_DONE else {
                    let text = String(cString: sqlite3_sql(stmt))
                    throw SQLiteError(connection: db, code: step,
                                      context: "executing \(SQLiteStatement.abbreviate(text))")
                }
            }
        }
    }

    var lastInsertRowID: Int64 { db.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// True outside any explicit transaction (`sqlite3_get_autocommit`).
    var isAutocommit: Bool { db.map { sqlite3_get_autocommit($0) != 0 } ?? true }

    // MARK: Transactions

    enum TransactionKind: String {
        /// Takes the write lock at BEGIN: a writer never fails half-way with
        /// SQLITE_BUSY on lock upgrade (the busy timeout applies at BEGIN).
        case immediate = "IMMEDIATE"
        /// A read transaction: one consistent WAL snapshot for several reads.
        case deferred = "DEFERRED"
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any thrown error rolls back and is
    /// rethrown unchanged. Transactions do not nest (a nested call is a bug).
    func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        guard isAutocommit else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "a transaction is already open",
                              context: "BEGIN \(kind.rawValue)")
        }
        try run("BEGIN \(kind.rawValue)")
        if kind == .immediate, hasMoved {
            rollbackQuietly()
            checkpointIntoMovedFile()
            throw SQLiteError(code: SQLITE_IOERR, message: "the database file was deleted, renamed or replaced while lorad had it "
                              + "open; nothing more is written to it, and what it holds was written into the moved file "
                              + "(restart lorad to open what is at \(path) now)", context: "writing \(path)")
        }
        let result: T
        do {
            result = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try run("COMMIT")
        } catch {
            // A failed COMMIT (e.g. SQLITE_FULL, SQLITE_IOERR) may leave the
            // transaction open; roll back so the connection stays usable.
            rollbackQuietly()
            throw error
        }
        return result
    }

    /// True when the database file was deleted, renamed or replaced since
    /// this connection opened it (SQLite's `SQLITE_FCNTL_HAS_MOVED`): a write
    /// would go to a file nobody will open again — committed, acknowledged
    /// and lost at the next start.
    var hasMoved: Bool {
        var moved: Int32 = 0
        guard let db, sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK else { return false }
        return moved != 0
    }

    /// After a move, rows committed but still only in the WAL sit in a file
    /// named after the *path* (`PATH-wal`): the next start would apply them
    /// to whatever file is at the path then — corrupting a replacement,
    /// undoing a restored backup — and a rename away would leave them behind.
    /// A TRUNCATE checkpoint writes them through the open descriptor into
    /// the moved file (or the deleted one) and empties that WAL. Best
    /// effort: readers still on an older snapshot can hold part of it back,
    /// and the next refused write or the close tries again.
    func checkpointIntoMovedFile() {
        guard isAutocommit else { return }
        _ = try? run("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// ROLLBACK if a transaction is still open (SQLite ends it by itself
    /// after some errors, e.g. SQLITE_FULL). Its own failure is not reported:
    /// the original error matters more, and SQLite rolls back on close anyway.
    private func rollbackQuietly() {
        guard !isAutocommit else { return }
        _ = try? run("ROLLBACK")
    }

    // MARK: Incremental blob I/O

    /// Opens `table.column` of row `rowid` for incremental I/O (`sqlite3_blob_open`).
    func openBlob(table: String, column: String, rowid: Int64, writable: Bool) throws -> SQLiteBlob {
        let db = try live("opening blob")
        var blob: OpaquePointer?
        let rc = sqlite3_blob_open(db, "main", table, column, rowid, writable ? 1 : 0, &blob)
        guard rc == SQLITE_OK, let blob else {
            sqlite3_blob_close(blob)
            throw SQLiteError(connection: db, code: rc,
                              context: "opening blob \(table).\(column) of row \(rowid)")
        }
        return SQLiteBlob(db: db, handle: blob, context: "\(table).\(column) row \(rowid)")
    }

    /// The largest string or blob this connection accepts (SQLITE_LIMIT_LENGTH,
    /// 1,000,000,000 bytes by default; compiled maximum 2^31 − 1).
    var maxValueLength: Int64 {
        db.map { Int64(sqlite3_limit($0, SQLITE_LIMIT_LENGTH, -1)) } ?? 0
    }
}
