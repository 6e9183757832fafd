import Foundation

extension AdapterRegistry {
    /// Schema step: a DoRA adapter version's factors per base. A table of
    /// its own, one row per (adapter, base fingerprint): a replace or delete
    /// drops them with the adapter's row (ON DELETE CASCADE), `generation`
    /// makes factors of an older version unmistakable, and two daemons on
    /// different bases sharing one registry each keep their own. The blob
    /// comes last in the row, so the columns before it are read without
    /// walking it.
    static func createDoRAFactors(_ db: SQLiteConnection) throws {
        try db.execute("""
            CREATE TABLE adapter_dora_factors (
                adapter_id       INTEGER NOT NULL REFERENCES adapters(id) ON DELETE CASCADE,
                base_fingerprint TEXT    NOT NULL,     -- the base they were computed against
                generation       INTEGER NOT NULL,     -- adapters.generation of the version
                computed_at      INTEGER NOT NULL,     -- ms since 1970-01-01T00:00:00Z
                modules          TEXT    NOT NULL,     -- the encoder's module list
                factors          BLOB    NOT NULL,     -- the encoder's values
                PRIMARY KEY (adapter_id, base_fingerprint)
            ) STRICT;
            """)
    }

    /// The stored factors of `name`'s version `generation` against the base
    /// `baseFingerprint`, or nil (none stored, or `name` is now another version).
    public func doraFactors(named name: String, generation: Int64,
                            baseFingerprint: String) throws -> StoredDoRAFactors? {
        try withReader { db in
            try db.queryFirst("""
                SELECT f.modules, f.factors FROM adapters a
                JOIN adapter_dora_factors f ON f.adapter_id = a.id AND f.generation = a.generation
                WHERE a.name = ? AND a.generation = ? AND f.base_fingerprint = ?
                """, [.text(name), .integer(generation), .text(baseFingerprint)]) { row in
                StoredDoRAFactors(baseFingerprint: baseFingerprint, modules: row.text(0) ?? "",
                                  factors: row.blob(1) ?? Data())
            }
        }
    }

    /// Stores (or replaces) the factors of `name`'s version `generation`, in
    /// a transaction of its own: for factors computed after the adapter was
    /// stored (a cold load against a base with another fingerprint, or
    /// stored factors found damaged).
    /// - Returns: false (nothing stored) when that version is no longer the
    ///   current one (replaced or deleted meanwhile).
    @discardableResult
    public func storeDoRAFactors(named name: String, generation: Int64, _ factors: StoredDoRAFactors) throws -> Bool {
        try withWriter { db in
            try db.transaction(.immediate) {
                guard let id = try db.queryFirst("SELECT id FROM adapters WHERE name = ? AND generation = ?",
                                                 [.text(name), .integer(generation)], row: { $0.int64(0) })
                else { return false }
                try Self.writeDoRAFactors(factors, adapterID: id, generation: generation, db: db)
                return true
            }
        }
    }

    /// The row write shared by `storeDoRAFactors` and `insert` (inside the
    /// caller's transaction).
    static func writeDoRAFactors(_ factors: StoredDoRAFactors, adapterID: Int64, generation: Int64,
                                 db: SQLiteConnection) throws {
        let computedMs = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        try db.run("""
            INSERT OR REPLACE INTO adapter_dora_factors
                (adapter_id, base_fingerprint, generation, computed_at, modules, factors)
            VALUES (?, ?, ?, ?, ?, ?)
            """, [.integer(adapterID), .text(factors.baseFingerprint), .integer(generation),
                  .integer(computedMs), .text(factors.modules), .blob(factors.factors)])
    }
}
