import Foundation

extension AdapterRegistry {
    /// Schema step: one validation outcome per adapter row. A table of its
    /// own (not a column of `adapters`) so a replace, which deletes the row,
    /// drops the outcome with it (ON DELETE CASCADE), and the `generation`
    /// column makes an outcome written for an older version unmistakable.
    static func createAdapterChecks(_ db: SQLiteConnection) throws {
        try db.execute("""
            CREATE TABLE adapter_checks (
                adapter_id       INTEGER PRIMARY KEY REFERENCES adapters(id) ON DELETE CASCADE,
                generation       INTEGER NOT NULL,     -- adapters.generation of the version checked
                base_fingerprint TEXT    NOT NULL,     -- which base it was checked against
                problem          TEXT,                 -- NULL: it passed
                checked_at       INTEGER NOT NULL      -- ms since 1970-01-01T00:00:00Z
            ) STRICT;
            """)
    }

    /// The stored check of `name`'s current version, or nil (never checked,
    /// or checked only as an older version).
    public func check(named name: String) throws -> AdapterCheck? {
        try withReader { db in
            try db.queryFirst("""
                SELECT c.generation, c.base_fingerprint, c.problem FROM adapters a
                JOIN adapter_checks c ON c.adapter_id = a.id AND c.generation = a.generation
                WHERE a.name = ?
                """, [.text(name)], row: Self.decodeCheck)
        }
    }

    /// The stored checks of the current versions of the adapters named
    /// `first...last` (a listing page's range), by name.
    public func checks(from first: String, through last: String) throws -> [String: AdapterCheck] {
        try withReader { db in
            var found: [String: AdapterCheck] = [:]
            for (name, check) in try db.query("""
                SELECT a.name, c.generation, c.base_fingerprint, c.problem FROM adapters a
                JOIN adapter_checks c ON c.adapter_id = a.id AND c.generation = a.generation
                WHERE a.name BETWEEN ? AND ?
                """, [.text(first), .text(last)], row: { row in
                    (row.text(0) ?? "", AdapterCheck(generation: row.int64(1), baseFingerprint: row.text(2) ?? "",
                                                     problem: row.text(3)))
                }) {
                found[name] = check
            }
            return found
        }
    }

    /// Stores the outcome of checking version `generation` of `name`
    /// against the base `fingerprint`, replacing any earlier outcome.
    /// - Returns: false (nothing stored) when that version is no longer the
    ///   current one (replaced or deleted meanwhile).
    @discardableResult
    public func storeCheck(named name: String, generation: Int64, baseFingerprint: String,
                           problem: String?) throws -> Bool {
        let checkedMs = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return try withWriter { db in
            try db.run("""
                INSERT OR REPLACE INTO adapter_checks (adapter_id, generation, base_fingerprint, problem, checked_at)
                SELECT id, generation, ?, ?, ? FROM adapters WHERE name = ? AND generation = ?
                """, [.text(baseFingerprint), .optionalText(problem), .integer(checkedMs), .text(name),
                      .integer(generation)]) == 1
        }
    }

    /// How many adapters have no stored check of their current version
    /// against the base `fingerprint` (they are checked on first use).
    public func uncheckedCount(baseFingerprint: String) throws -> Int {
        try withReader { db in
            Int(try db.queryFirst("""
                SELECT count(*) FROM adapters a
                LEFT JOIN adapter_checks c ON c.adapter_id = a.id AND c.generation = a.generation
                                          AND c.base_fingerprint = ?
                WHERE c.adapter_id IS NULL
                """, [.text(baseFingerprint)]) { $0.int64(0) } ?? 0)
        }
    }

    static func decodeCheck(_ row: SQLiteStatement) throws -> AdapterCheck {
        AdapterCheck(generation: row.int64(0), baseFingerprint: row.text(1) ?? "", problem: row.text(2))
    }
}
