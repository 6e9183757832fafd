import CSQLite

extension SQLiteConnection {
    /// Where `rebuildTable` is; a test stops it at each stage to show that
    /// an interruption anywhere rolls back to the old table intact.
    enum RebuildStage: String, CaseIterable, Sendable {
        case created, copied, dropped, renamed, restored
    }

    /// Replaces `table` with one made by `create` (given the name to create),
    /// keeping every row of `columns`, the rowids, and the table's explicit
    /// indexes and triggers: steps 3–9 of SQLite's procedure for schema
    /// changes ALTER TABLE cannot make, such as changing a CHECK constraint
    /// (https://sqlite.org/lang_altertable.html#otheralter, "Making Other
    /// Kinds Of Table Schema Changes"). In that order — create the new table
    /// under a temporary name, copy, drop the old, rename the new — tables
    /// that reference `table` by name keep pointing at it: renaming a table
    /// rewrites references *to the renamed table* (section 2, ALTER TABLE
    /// RENAME), and nothing references the temporary name.
    ///
    /// The caller provides steps 1–2 and 10–12: an open transaction (so a
    /// crash or an error at any point leaves the old table as it was) with
    /// foreign-key enforcement off (else DROP TABLE would cascade-delete
    /// every referencing row), and a `PRAGMA foreign_key_check` before
    /// COMMIT — `migrate` does all of it for a step with `rebuildsTables`.
    /// - Parameter stage: called after each stage (tests).
    /// - Throws: `SQLiteError` (nothing changed once the transaction rolls
    ///   back); SQLITE_MISUSE outside a transaction or when a view would
    ///   need re-creating too (none exists in a registry).
    func rebuildTable(_ table: String, columns: [String], create: (String) -> String,
                      stage: (RebuildStage) throws -> Void = { _ in }) throws {
        guard !isAutocommit else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "a table rebuild must run inside a transaction",
                              context: "rebuilding \(table)")
        }
        // Step 3: the schema objects dropped with the table. Automatic
        // indexes (UNIQUE, PRIMARY KEY) have no SQL: the new table's own
        // constraints create them again.
        let dependents = try query("""
            SELECT sql FROM sqlite_schema
            WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name
            """, [.text(table)]) { $0.text(0) ?? "" }
        let views = try query("SELECT name FROM sqlite_schema WHERE type = 'view'") { $0.text(0) ?? "" }
        guard views.isEmpty else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "views \(views) would have to be re-created as well",
                              context: "rebuilding \(table)")
        }
        let rebuilt = table + "_rebuilt"
        let list = columns.joined(separator: ", ")
        try execute(create(rebuilt))                                                    // step 4
        try stage(.created)
        try execute("INSERT INTO \(rebuilt) (\(list)) SELECT \(list) FROM \(table);")   // step 5
        try stage(.copied)
        try execute("DROP TABLE \(table);")                                             // step 6
        try stage(.dropped)
        try execute("ALTER TABLE \(rebuilt) RENAME TO \(table);")                       // step 7
        try stage(.renamed)
        for sql in dependents { try execute(sql) }                                      // step 8
        try stage(.restored)
    }
}
