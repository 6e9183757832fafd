import Foundation
import OrderedJSON

extension AdapterRegistry {
    /// Columns for `AdapterRecord`, in `decodeRecord`'s order.
    static let recordColumns = """
        id, name, sha256, byte_size, ranks, alpha, scale, target_modules, base_model_id, created_at, generation, dora
        """

    /// Metadata of one adapter (no weights), or nil.
    public func record(named name: String) throws -> AdapterRecord? {
        try withReader { db in
            try db.queryFirst("SELECT \(Self.recordColumns) FROM adapters WHERE name = ?", [.text(name)],
                              row: Self.decodeRecord)
        }
    }

    /// Every adapter's metadata, ordered by name.
    public func list() throws -> [AdapterRecord] {
        try withReader { db in
            try db.query("SELECT \(Self.recordColumns) FROM adapters ORDER BY name", row: Self.decodeRecord)
        }
    }

    /// Number of stored adapters.
    public func count() throws -> Int {
        try withReader { db in
            Int(try db.queryFirst("SELECT count(*) FROM adapters") { $0.int64(0) } ?? 0)
        }
    }

    /// Whether any stored adapter is DoRA (PEFT `use_dora`).
    public func holdsDoRAAdapter() throws -> Bool {
        try withReader { db in
            try db.queryFirst("SELECT EXISTS (SELECT 1 FROM adapters WHERE dora = 1)") { $0.int64(0) } == 1
        }
    }

    /// The adapter's own chat template with the version it belongs to
    /// (`generation`, for caching a parsed copy), or nil when no adapter has
    /// that name. `template` is nil when it was uploaded without one.
    public func chatTemplate(named name: String) throws -> (generation: Int64, template: String?)? {
        try withReader { db in
            try db.queryFirst("SELECT generation, chat_template FROM adapters WHERE name = ?", [.text(name)],
                              row: { ($0.int64(0), $0.text(1)) })
        }
    }

    /// The stored `adapter_config.json` text.
    /// - Throws: `RegistryError.notFound`.
    public func readConfig(named name: String) throws -> String {
        try withReader { db in
            guard let text = try db.queryFirst("SELECT config_json FROM adapters WHERE name = ?", [.text(name)],
                                               row: { $0.text(0) }) ?? nil
            else { throw RegistryError.notFound(name) }
            return text
        }
    }

    /// The safetensors bytes, read with one allocation of exactly their size.
    /// - Throws: `RegistryError.notFound`, `.corrupt` if the blob's size
    ///   disagrees with the recorded one.
    public func readWeights(named name: String) throws -> Data {
        try withReader { db in
            try db.transaction(.deferred) {
                let (id, size) = try Self.locate(name, in: db)
                return try Self.readWhole(rowid: id, size: size, name: name, db: db)
            }
        }
    }

    /// Streams the safetensors bytes to `body` in chunks of at most
    /// `chunkSize` bytes, from one consistent snapshot (a replace or delete
    /// committed meanwhile does not disturb it). Never holds more than one
    /// chunk. `body` may use the registry; while it runs, the snapshot keeps
    /// the WAL from being checkpointed past it, so do not park in it.
    /// - Returns: the adapter's metadata (the version that was streamed).
    @discardableResult
    public func readWeights(named name: String, chunkSize: Int = 1 << 20,
                            _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> AdapterRecord {
        try withReader { db in
            try db.transaction(.deferred) {
                guard let record = try db.queryFirst(
                    "SELECT \(Self.recordColumns) FROM adapters WHERE name = ?", [.text(name)],
                    row: Self.decodeRecord)
                else { throw RegistryError.notFound(name) }
                try Self.stream(rowid: record.id, size: record.byteSize, name: name, chunkSize: chunkSize,
                                db: db, body)
                return record
            }
        }
    }

    /// Part of the safetensors bytes: `range` clipped to the stored size
    /// (empty if it starts past the end). For startup re-validation, which
    /// only needs the safetensors header (the u64 length at 0..<8, then the
    /// JSON header), not hundreds of MB of weights.
    /// - Throws: `RegistryError.notFound`, `.corrupt`.
    public func readWeights(named name: String, range: Range<Int64>) throws -> Data {
        try withReader { db in
            try db.transaction(.deferred) {
                let (id, size) = try Self.locate(name, in: db)
                let lower = min(max(0, range.lowerBound), size)
                let upper = min(max(lower, range.upperBound), size)
                guard upper > lower else {
                    try Self.checkBlobSize(rowid: id, expected: size, name: name, db: db)
                    return Data()
                }
                let blob = try Self.openChecked(rowid: id, expected: size, name: name, db: db)
                defer { try? blob.close() }
                var data = Data(count: Int(upper - lower))
                try data.withUnsafeMutableBytes { try blob.read(into: $0, at: lower) }
                return data
            }
        }
    }

    /// Everything the engine needs to load an adapter, from one snapshot: the
    /// config text (UTF-8), the weights, their recorded sha256, and the
    /// generation that tells this version apart from a later replacement.
    /// - Throws: `RegistryError.notFound`, `.corrupt`.
    public func load(named name: String) throws
        -> (configJSON: Data, weights: Data, sha256: String, generation: Int64)
    {
        try withReader { db in
            try db.transaction(.deferred) {
                guard let row = try db.queryFirst(
                    "SELECT id, byte_size, config_json, sha256, generation FROM adapters WHERE name = ?",
                    [.text(name)],
                    row: { ($0.int64(0), $0.int64(1), $0.text(2) ?? "", $0.text(3) ?? "", $0.int64(4)) })
                else { throw RegistryError.notFound(name) }
                let weights = try Self.readWhole(rowid: row.0, size: row.1, name: name, db: db)
                return (Data(row.2.utf8), weights, row.3, row.4)
            }
        }
    }

    /// Re-hashes the stored weights and compares with the recorded sha256 and
    /// size. Reads the whole blob in chunks; meant for `lorad adapters verify`
    /// and tests, not for every load.
    /// - Returns: true when both match.
    public func verify(named name: String) throws -> Bool {
        var hasher = SHA256()
        let record = try readWeights(named: name) { hasher.update($0) }
        return hasher.finalizeHex() == record.sha256
    }

    /// `PRAGMA integrity_check` of the whole file: "ok", or SQLite's list of problems.
    public func integrityCheck() throws -> String {
        try withReader { try $0.integrityCheck() }
    }

    // MARK: Helpers (reader connection, inside a read transaction)

    private static func locate(_ name: String, in db: SQLiteConnection) throws -> (id: Int64, size: Int64) {
        guard let row = try db.queryFirst("SELECT id, byte_size FROM adapters WHERE name = ?", [.text(name)],
                                          row: { ($0.int64(0), $0.int64(1)) })
        else { throw RegistryError.notFound(name) }
        return row
    }

    private static func readWhole(rowid: Int64, size: Int64, name: String, db: SQLiteConnection) throws -> Data {
        guard size > 0 else {
            try checkBlobSize(rowid: rowid, expected: 0, name: name, db: db)
            return Data()
        }
        let blob = try openChecked(rowid: rowid, expected: size, name: name, db: db)
        defer { try? blob.close() }
        var data = Data(count: Int(size))
        try data.withUnsafeMutableBytes { try blob.read(into: $0, at: 0) }
        return data
    }

    private static func stream(rowid: Int64, size: Int64, name: String, chunkSize: Int, db: SQLiteConnection,
                               _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard size > 0 else {
            try checkBlobSize(rowid: rowid, expected: 0, name: name, db: db)
            return
        }
        let blob = try openChecked(rowid: rowid, expected: size, name: name, db: db)
        defer { try? blob.close() }
        let step = Int(min(Int64(max(1, chunkSize)), size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: step, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < size {
            let n = Int(min(Int64(step), size - offset))
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            try blob.read(into: chunk, at: offset)
            try body(UnsafeRawBufferPointer(chunk))
            offset += Int64(n)
        }
    }

    /// Opens the weights blob and checks it holds `byte_size` bytes.
    static func openChecked(rowid: Int64, expected: Int64, name: String,
                                    db: SQLiteConnection) throws -> SQLiteBlob {
        let blob: SQLiteBlob
        do {
            blob = try db.openBlob(table: "adapter_blobs", column: "weights", rowid: rowid, writable: false)
        } catch let error as SQLiteError {
            // No blob row for an adapters row: the cascade or insert contract broke.
            throw RegistryError.corrupt(name: name, reason: "weights unreadable: \(error)")
        }
        guard blob.byteCount == expected else {
            throw RegistryError.corrupt(name: name,
                                        reason: "recorded byte_size \(expected), stored blob has \(blob.byteCount) bytes")
        }
        return blob
    }

    static func checkBlobSize(rowid: Int64, expected: Int64, name: String, db: SQLiteConnection) throws {
        let actual = try db.queryFirst("SELECT length(weights) FROM adapter_blobs WHERE adapter_id = ?",
                                       [.integer(rowid)], row: { $0.int64(0) })
        guard actual == expected else {
            throw RegistryError.corrupt(name: name, reason: actual.map {
                "recorded byte_size \(expected), stored blob has \($0) bytes"
            } ?? "no weights row")
        }
    }

    /// Row of `recordColumns` → `AdapterRecord`. A column that cannot be read
    /// as written (not valid JSON, a non-finite number) does not fail the
    /// read: the record carries the `defect` and neutral values, so one bad
    /// row never makes a whole listing fail.
    static func decodeRecord(_ row: SQLiteStatement) throws -> AdapterRecord {
        let name = row.text(1) ?? ""
        var defects: [String] = []
        /// A JSON array of `T` (ranks as integers, module names as strings).
        func list<T>(_ column: Int32, _ field: String, _ element: (JSONValue) -> T?) -> [T] {
            let text = row.text(column) ?? ""
            if case .array(let items)? = try? JSONValue.parse(Array(text.utf8)) {
                let values = items.compactMap(element)
                if values.count == items.count { return values }
            }
            defects.append("\(field) column is not a JSON list of the right type: \(RegistryError.quote(text))")
            return []
        }
        func finite(_ column: Int32, _ field: String) -> Double? {
            guard let value = row.optionalDouble(column) else { return nil }
            guard value.isFinite else { defects.append("stored \(field) \(value) is not finite"); return nil }
            return value
        }
        let ranks = list(4, "ranks") { v -> Int? in if case .integer(let n) = v { return n } else { return nil } }
        let alpha = finite(5, "alpha"), scale = finite(6, "scale")
        let modules = list(7, "target_modules", \.stringValue)
        return AdapterRecord(
            id: row.int64(0), name: name, sha256: row.text(2) ?? "", byteSize: row.int64(3),
            ranks: ranks, alpha: alpha, scale: scale, targetModules: modules, dora: row.int64(11) != 0, baseModelId: row.text(8),
            createdAt: Date(timeIntervalSince1970: Double(row.int64(9)) / 1000), generation: row.int64(10),
            defect: defects.isEmpty ? nil : defects.joined(separator: "; "))
    }
}
