import CSQLite
import Foundation

/// A prepared statement (`sqlite3_prepare_v3`). Owned by one `SQLiteConnection`
/// and confined with it; finalized on deinit.
///
/// Lifecycle: `bind` → `step` (repeatedly for rows) → `reset` (also clears the
/// bindings) so the cached statement can be reused.
final class SQLiteStatement {
    private(set) var handle: OpaquePointer?
    /// The connection's handle, for error messages. The connection outlives its
    /// statements (it finalizes them in `close()`).
    private let db: OpaquePointer
    let sql: String

    init(db: OpaquePointer, sql: String, persistent: Bool) throws {
        self.db = db
        self.sql = sql
        var stmt: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let flags: UInt32 = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sql.withCString { sqlite3_prepare_v3(db, $0, -1, flags, &stmt, &tail) }
        guard rc == SQLITE_OK else {
            sqlite3_finalize(stmt)
            throw SQLiteError(connection: db, code: rc, context: "preparing \(Self.abbreviate(sql))")
        }
        guard stmt != nil else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement",
                              context: "preparing \(Self.abbreviate(sql))")
        }
        // One statement per prepare: trailing SQL would be silently ignored.
        if let tail, String(cString: tail).contains(where: { !$0.isWhitespace && $0 != ";" }) {
            sqlite3_finalize(stmt)
            throw SQLiteError(code: SQLITE_MISUSE, message: "more than one statement in one prepare",
                              context: "preparing \(Self.abbreviate(sql))")
        }
        handle = stmt
    }

    deinit { finalize() }

    /// Releases the statement. Safe to call twice.
    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    private func live(_ what: String) throws -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "statement already finalized",
                              context: "\(what) \(Self.abbreviate(sql))")
        }
        return handle
    }

    // MARK: Binding

    /// Binds `values` to parameters 1…n (all of them: a missing value is a bug).
    func bind(_ values: [SQLiteValue]) throws {
        let stmt = try live("binding")
        let expected = Int(sqlite3_bind_parameter_count(stmt))
        guard expected == values.count else {
            throw SQLiteError(code: SQLITE_RANGE,
                              message: "statement has \(expected) parameters, \(values.count) values given",
                              context: "binding \(Self.abbreviate(sql))")
        }
        for (i, value) in values.enumerated() {
            try bind(value, at: Int32(i + 1))
        }
    }

    /// Binds one value at a 1-based parameter index.
    func bind(_ value: SQLiteValue, at index: Int32) throws {
        let stmt = try live("binding")
        let rc: Int32
        switch value {
        case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
        case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
        case .text(let s):
            rc = s.withCString { sqlite3_bind_text(stmt, index, $0, -1, csqlite_transient()) }
        case .blob(let d):
            rc = d.withUnsafeBytes { raw in
                // A zero-length Data may have a nil base address; bind an empty
                // blob rather than NULL so NOT NULL columns accept it.
                guard let base = raw.baseAddress, raw.count > 0 else {
                    return sqlite3_bind_zeroblob(stmt, index, 0)
                }
                return sqlite3_bind_blob64(stmt, index, base, sqlite3_uint64(raw.count), csqlite_transient())
            }
        case .zeroBlob(let n): rc = sqlite3_bind_zeroblob64(stmt, index, sqlite3_uint64(max(0, n)))
        case .null: rc = sqlite3_bind_null(stmt, index)
        }
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: db, code: rc, context: "binding parameter \(index) of \(Self.abbreviate(sql))")
        }
    }

    // MARK: Stepping

    /// Advances one row. Returns true when a row is available, false when done.
    @discardableResult
    func step() throws -> Bool {
        let stmt = try live("stepping")
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw SQLiteError(connection: db, code: rc, context: "executing \(Self.abbreviate(sql))")
        }
    }

    /// Resets the statement and clears its bindings so it can be reused.
    /// The reset's own return code repeats the last step's error, which has
    /// already been thrown, so it is deliberately not checked here.
    func reset() {
        guard let handle else { return }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns (0-based, valid after `step()` returned true)

    var columnCount: Int32 { handle.map { sqlite3_column_count($0) } ?? 0 }

    func isNull(_ column: Int32) -> Bool {
        guard let handle else { return true }
        return sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) -> Int64 {
        guard let handle else { return 0 }
        return sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32) -> Double {
        guard let handle else { return 0 }
        return sqlite3_column_double(handle, column)
    }

    /// Text column; nil for SQL NULL.
    func text(_ column: Int32) -> String? {
        guard let handle, sqlite3_column_type(handle, column) != SQLITE_NULL,
              let p = sqlite3_column_text(handle, column) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Blob column copied into `Data`; nil for SQL NULL. For large blobs use
    /// `SQLiteBlob` instead — this materializes the whole value (twice, briefly).
    func blob(_ column: Int32) -> Data? {
        guard let handle, sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        let n = Int(sqlite3_column_bytes(handle, column))
        guard n > 0, let p = sqlite3_column_blob(handle, column) else { return Data() }
        return Data(bytes: p, count: n)
    }

    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }

    /// SQL shortened for error messages.
    static func abbreviate(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        return flat.count > 120 ? String(flat.prefix(117)) + "…" : flat
    }
}
