/// One forward step of the schema. Step `i` (0-based) moves `user_version`
/// from `i` to `i + 1`; steps are append-only — a released step is never edited,
/// a change is a new step.
struct SQLiteMigration: Sendable {
    /// For logs and errors, e.g. "create adapters table".
    let summary: String
    let apply: @Sendable (SQLiteConnection) throws -> Void
}
