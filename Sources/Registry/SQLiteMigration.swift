/// One forward step of the schema. Step `i` (0-based) moves `user_version`
/// from `i` to `i + 1`; steps are append-only — a released step is never edited,
/// a change is a new step.
struct SQLiteMigration: Sendable {
    /// For logs and errors, e.g. "create adapters table".
    let summary: String
    /// The step rebuilds a table that others reference (SQLite's procedure
    /// for a change ALTER TABLE cannot make, `SQLiteConnection.rebuildTable`):
    /// it must run with foreign-key enforcement off, or dropping the old
    /// table would cascade-delete every row that references it. `migrate`
    /// turns enforcement off before the step's transaction (a PRAGMA that
    /// is a no-op inside one) and checks every foreign key before it commits.
    var rebuildsTables = false
    let apply: @Sendable (SQLiteConnection) throws -> Void

    init(summary: String, rebuildsTables: Bool = false, apply: @escaping @Sendable (SQLiteConnection) throws -> Void) {
        self.summary = summary
        self.rebuildsTables = rebuildsTables
        self.apply = apply
    }
}
