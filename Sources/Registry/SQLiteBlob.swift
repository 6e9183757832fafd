import CSQLite

/// An open incremental-I/O handle on one blob value (`sqlite3_blob_*`).
///
/// Why: a safetensors file of hundreds of MB is written into a `zeroblob(n)`
/// placeholder and read back chunk by chunk, so it never exists twice in
/// memory (https://sqlite.org/c3ref/blob_open.html). Offsets and chunk sizes
/// are `Int32` in the C API; values are capped by SQLITE_LIMIT_LENGTH < 2^31.
///
/// Confined to its connection's thread; closed on deinit.
final class SQLiteBlob {
    private var handle: OpaquePointer?
    private let db: OpaquePointer
    private let context: String

    init(db: OpaquePointer, handle: OpaquePointer, context: String) {
        self.db = db
        self.handle = handle
        self.context = context
    }

    deinit { sqlite3_blob_close(handle) }

    /// Size of the blob in bytes.
    var byteCount: Int64 { handle.map { Int64(sqlite3_blob_bytes($0)) } ?? 0 }

    /// Writes `bytes` at `offset`. The blob's size is fixed at open time; a
    /// write past the end fails (SQLITE_ERROR) — callers size with zeroblob(n).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        guard let handle else { throw closed("writing") }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard offset >= 0, offset + Int64(bytes.count) <= byteCount else {
            throw SQLiteError(code: SQLITE_ERROR,
                              message: "write of \(bytes.count) bytes at \(offset) exceeds blob size \(byteCount)",
                              context: "blob write to \(context)")
        }
        let rc = sqlite3_blob_write(handle, base, Int32(bytes.count), Int32(offset))
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: db, code: rc, context: "blob write at \(offset) to \(context)")
        }
    }

    /// Fills `buffer` from `offset`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws {
        guard let handle else { throw closed("reading") }
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        guard offset >= 0, offset + Int64(buffer.count) <= byteCount else {
            throw SQLiteError(code: SQLITE_ERROR,
                              message: "read of \(buffer.count) bytes at \(offset) exceeds blob size \(byteCount)",
                              context: "blob read from \(context)")
        }
        let rc = sqlite3_blob_read(handle, base, Int32(buffer.count), Int32(offset))
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: db, code: rc, context: "blob read at \(offset) from \(context)")
        }
    }

    /// Closes the handle. For a writable blob this is where a deferred write
    /// error would surface, so it is checked.
    func close() throws {
        guard let handle else { return }
        self.handle = nil
        let rc = sqlite3_blob_close(handle)
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: db, code: rc, context: "closing blob \(context)")
        }
    }

    private func closed(_ what: String) -> SQLiteError {
        SQLiteError(code: SQLITE_MISUSE, message: "blob handle already closed", context: "\(what) \(context)")
    }
}
