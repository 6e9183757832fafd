import AdapterNaming
import CSQLite

extension AdapterRegistry {
    /// Schema step v6: `adapters.name` holds every name `AdapterName`
    /// accepts. v1 bounded it at 64 characters, the plain-name limit, so a
    /// hub id `ORG/NAME` of 65–193 characters passed the name rule and then
    /// failed the CHECK (500 on upload; a folder import served but never
    /// stored). SQLite cannot alter a CHECK constraint, so the table is
    /// rebuilt (`SQLiteConnection.rebuildTable`) inside the step's
    /// transaction with foreign keys off (`rebuildsTables`): rowids are
    /// kept, so `adapter_blobs`, `adapter_checks` and `adapter_dora_factors`
    /// still reference their rows, and the UNIQUE indexes come back with
    /// the table's constraints.
    ///
    /// The new table is the file's own definition (v1's CREATE TABLE with
    /// the columns v2 and v4 added, as SQLite keeps it in `sqlite_schema`)
    /// with that one CHECK changed, so every other column and constraint is
    /// the same by construction. The bound is the name rule's
    /// (`AdapterName.longestLength`), the one source of both. Should the
    /// rule ever accept longer names, a new step must rebuild the table
    /// again: files already at v6 keep the bound they were written with
    /// (`RegistryNameColumnTests` compares the bound in force with the rule's).
    static func widenNameColumn(_ db: SQLiteConnection,
                                stage: (SQLiteConnection.RebuildStage) throws -> Void = { _ in }) throws {
        let head = "CREATE TABLE adapters ("
        let v1Check = "CHECK (length(name) BETWEEN 1 AND 64)"   // as v1 wrote it
        let check = "CHECK (length(name) BETWEEN 1 AND \(AdapterName.longestLength))"
        let current = try db.queryFirst("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'adapters'") {
            $0.text(0)
        } ?? nil
        guard let current, current.hasPrefix(head), current.components(separatedBy: v1Check).count == 2 else {
            throw SQLiteError(code: SQLITE_ERROR, message: "the adapters table is not as schema v1–v5 defined it "
                + "(expected one \(v1Check)): \(current.map { String($0.prefix(200)) } ?? "no such table")",
                              context: "widening adapters.name")
        }
        let columns = try db.query("SELECT name FROM pragma_table_info('adapters') ORDER BY cid") { $0.text(0) ?? "" }
        try db.rebuildTable("adapters", columns: columns, create: { table in
            "CREATE TABLE \(table) (" + current.dropFirst(head.count).replacingOccurrences(of: v1Check, with: check)
        }, stage: stage)
    }
}
