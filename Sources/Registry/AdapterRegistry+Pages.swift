extension AdapterRegistry {
    /// One page of the adapters ordered by name: those after `after` (all
    /// from the first when nil), at most `limit`; `hasMore` tells whether
    /// any follow. One indexed range scan (the UNIQUE index on `name`), so a
    /// page costs the same at 10 or 10,000 rows.
    public func page(after: String?, limit: Int) throws -> (records: [AdapterRecord], hasMore: Bool) {
        let limit = max(0, limit)
        // One row more than asked tells whether another page exists.
        let rows = try withReader { db in
            try db.query("""
                SELECT \(Self.recordColumns) FROM adapters WHERE name > ? ORDER BY name LIMIT ?
                """, [.text(after ?? ""), .integer(Int64(limit) + 1)], row: Self.decodeRecord)
        }
        return (Array(rows.prefix(limit)), rows.count > limit)
    }
}
