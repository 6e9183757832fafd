import Foundation

extension AdapterRegistry {
    /// Stores an adapter, streaming its weights into SQLite.
    ///
    /// Everything — the replace's delete, the generation bump, the metadata
    /// row, the blob and its checksum, a DoRA adapter's factors — is ONE `BEGIN IMMEDIATE` transaction:
    /// if the source throws, the process dies, or any check fails, no trace
    /// of the new adapter remains and a replaced one is still there.
    ///
    /// The writer lock is held while `weights` produces its bytes, so the
    /// source should be fast (a spooled file, memory); reads are unaffected.
    ///
    /// - Parameter replace: overwrite an existing adapter of that name. The
    ///   new version gets a new `generation`; copies already loaded in memory
    ///   are untouched, so running requests keep the old version.
    /// - Throws: `RegistryError.invalidName`, `.alreadyExists` (nothing
    ///   changed), `.weightsTooLarge`, `.weightsSizeMismatch`,
    ///   `.checksumMismatch`, `.sqlite`; or the source's own error.
    @discardableResult
    public func insert(_ adapter: NewAdapter, weights: WeightsSource, replace: Bool = false) throws -> AdapterRecord {
        let write = try Self.preparedInsert(adapter, weights: weights, replace: replace)
        return try withWriter(write)
    }

    /// `insert`, unless `stillWanted` says no: then nothing is written and
    /// the answer is nil. It is asked under the writer lock, just before the
    /// transaction begins, so no other write of this registry (a delete, an
    /// upload of the same name) can come between its answer and the commit:
    /// a write made in the background on a request's behalf can so be called
    /// off by whoever supersedes it, with no window in which it still lands.
    public func insert(_ adapter: NewAdapter, weights: WeightsSource, replace: Bool = false,
                       stillWanted: () -> Bool) throws -> AdapterRecord? {
        let write = try Self.preparedInsert(adapter, weights: weights, replace: replace)
        return try withWriter { db in stillWanted() ? try write(db) : nil }
    }

    /// Checks what can be checked without the database, and returns the
    /// insert's transaction, to run on the writer connection.
    private static func preparedInsert(_ adapter: NewAdapter, weights: WeightsSource,
                                       replace: Bool) throws -> (SQLiteConnection) throws -> AdapterRecord {
        try validateName(adapter.name)
        let name = adapter.name
        let expected = try adapter.expectedSHA256.map { try normalizedSHA256($0, name: name) }
        let ranksJSON = try jsonText(adapter.ranks)
        let modulesJSON = try jsonText(adapter.targetModules)
        for (field, value) in [("alpha", adapter.alpha), ("scale", adapter.scale)] {
            if let value, !value.isFinite {
                throw RegistryError.invalidMetadata(name: name, field: field, reason: "\(value) is not finite")
            }
        }
        let byteCount = weights.byteCount
        guard byteCount >= 0 else {
            throw RegistryError.invalidMetadata(name: name, field: "byte count", reason: "\(byteCount) is negative")
        }
        return { db in
            let limit = db.maxValueLength
            guard byteCount <= limit else {
                throw RegistryError.weightsTooLarge(name: name, byteCount: byteCount, limit: limit)
            }
            return try db.transaction(.immediate) {
                if let existing = try db.queryFirst("SELECT id FROM adapters WHERE name = ?", [.text(name)],
                                                    row: { $0.int64(0) }) {
                    guard replace else { throw RegistryError.alreadyExists(name) }
                    // ON DELETE CASCADE removes the old blob row with it.
                    try db.run("DELETE FROM adapters WHERE id = ?", [.integer(existing)])
                }
                guard let generation = try db.queryFirst(
                    "UPDATE registry_meta SET value = value + 1 WHERE key = 'last_generation' RETURNING value",
                    row: { $0.int64(0) })
                else {
                    throw RegistryError.corrupt(name: name, reason: "registry_meta has no last_generation row")
                }
                let createdMs = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
                // The checksum is known only after the last chunk; a
                // placeholder keeps the CHECK constraint and is overwritten
                // before COMMIT.
                try db.run("""
                    INSERT INTO adapters (name, config_json, sha256, byte_size, ranks, alpha, scale,
                                          target_modules, base_model_id, created_at, generation, dora, chat_template)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [
                        .text(name), .text(adapter.configJSON), .text(String(repeating: "0", count: 64)),
                        .integer(byteCount), .text(ranksJSON), .optionalReal(adapter.alpha),
                        .optionalReal(adapter.scale), .text(modulesJSON), .optionalText(adapter.baseModelId),
                        .integer(createdMs), .integer(generation), .integer(adapter.dora ? 1 : 0),
                        .optionalText(adapter.chatTemplate),
                    ])
                let id = db.lastInsertRowID
                try db.run("INSERT INTO adapter_blobs (adapter_id, weights) VALUES (?, ?)",
                           [.integer(id), .zeroBlob(byteCount)])
                if let factors = adapter.doraFactors {
                    try writeDoRAFactors(factors, adapterID: id, generation: generation, db: db)
                }
                let sha = try streamWeights(weights, into: db, rowid: id, name: name)
                if let expected, expected != sha {
                    throw RegistryError.checksumMismatch(name: name, expected: expected, actual: sha)
                }
                try db.run("UPDATE adapters SET sha256 = ? WHERE id = ?", [.text(sha), .integer(id)])
                PausePoint.insertBeforeCommit.reach()
                return AdapterRecord(
                    id: id, name: name, sha256: sha, byteSize: byteCount, ranks: adapter.ranks,
                    alpha: adapter.alpha, scale: adapter.scale, targetModules: adapter.targetModules,
                    dora: adapter.dora, baseModelId: adapter.baseModelId,
                    createdAt: Date(timeIntervalSince1970: Double(createdMs) / 1000), generation: generation)
            }
        }
    }

    /// `insert` with the weights already in memory.
    @discardableResult
    public func insert(_ adapter: NewAdapter, weights: Data, replace: Bool = false) throws -> AdapterRecord {
        try insert(adapter, weights: .data(weights), replace: replace)
    }

    /// Removes an adapter (one transaction). Loaded copies held by running
    /// requests are not affected. Returns false if no adapter had that name.
    @discardableResult
    public func delete(named name: String) throws -> Bool {
        try withWriter { db in
            let deleted = try db.transaction(.immediate) {
                let deleted = try db.run("DELETE FROM adapters WHERE name = ?", [.text(name)]) > 0
                PausePoint.deleteBeforeCommit.reach()
                return deleted
            }
            PausePoint.deleteAfterCommit.reach()
            return deleted
        }
    }

    /// Writes the source's chunks into the zeroblob reserved for row `rowid`,
    /// hashing on the way. Returns the hex sha256.
    private static func streamWeights(_ weights: WeightsSource, into db: SQLiteConnection,
                                      rowid: Int64, name: String) throws -> String {
        let declared = weights.byteCount
        var hasher = SHA256()
        var offset: Int64 = 0
        if declared > 0 {
            let blob = try db.openBlob(table: "adapter_blobs", column: "weights", rowid: rowid, writable: true)
            // On a throw, release the handle before the transaction rolls back.
            defer { try? blob.close() }
            try weights.produce { chunk in
                guard offset + Int64(chunk.count) <= declared else {
                    throw RegistryError.weightsSizeMismatch(name: name, declared: declared,
                                                            produced: offset + Int64(chunk.count))
                }
                try blob.write(chunk, at: offset)
                hasher.update(chunk)
                offset += Int64(chunk.count)
            }
            try blob.close()
        } else {
            // Nothing to reserve, but the source must still agree it is empty.
            try weights.produce { chunk in
                offset += Int64(chunk.count)
                if offset > 0 {
                    throw RegistryError.weightsSizeMismatch(name: name, declared: 0, produced: offset)
                }
            }
        }
        guard offset == declared else {
            throw RegistryError.weightsSizeMismatch(name: name, declared: declared, produced: offset)
        }
        return hasher.finalizeHex()
    }

    /// Lowercased 64-hex-digit sha256, or `.invalidMetadata`.
    static func normalizedSHA256(_ s: String, name: String) throws -> String {
        let lower = s.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw RegistryError.invalidMetadata(name: name, field: "expected sha256",
                                                reason: "\(RegistryError.quote(s)) is not 64 hex digits")
        }
        return lower
    }

    static func jsonText<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
