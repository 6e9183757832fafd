import CSQLite

extension SQLiteConnection {
    /// Brings the schema up to `migrations.count`. Each step runs in its own
    /// `BEGIN IMMEDIATE` transaction that re-reads `user_version` first, so two
    /// processes opening the same new file cannot both apply a step, and a
    /// crash between steps leaves a valid, older version to resume from.
    ///
    /// When a step still to run rebuilds tables (`SQLiteMigration.rebuildsTables`),
    /// foreign-key enforcement is off for the whole call — `PRAGMA foreign_keys`
    /// cannot change inside a transaction (https://sqlite.org/pragma.html#pragma_foreign_keys),
    /// and which step runs is only certain inside one — and every step then
    /// runs `PRAGMA foreign_key_check` before its COMMIT, so none commits a
    /// dangling reference (steps 1, 10 and 12 of https://sqlite.org/lang_altertable.html#otheralter).
    /// Enforcement is back on when the call returns or throws.
    /// - Returns: the version found before migrating.
    @discardableResult
    func migrate(_ migrations: [SQLiteMigration]) throws -> Int64 {
        let target = Int64(migrations.count)
        // A hint only (another process may migrate meanwhile): the
        // transaction below re-reads the version it acts on.
        let hint = try userVersion
        let pending = hint >= 0 && hint < target ? migrations[Int(hint)...] : []
        let enforced = try pragmaInt("foreign_keys") == 1
        let suspend = enforced && pending.contains(where: \.rebuildsTables)
        if suspend { try execute("PRAGMA foreign_keys = OFF") }
        let result = Result { try migrateSteps(migrations, checkingForeignKeys: suspend || !enforced) }
        if suspend {
            try execute("PRAGMA foreign_keys = ON")
            guard try pragmaInt("foreign_keys") == 1 else {
                throw SQLiteError(code: SQLITE_ERROR, message: "foreign keys could not be enforced again",
                                  context: "migrating \(path)")
            }
        }
        return try result.get()
    }

    private func migrateSteps(_ migrations: [SQLiteMigration], checkingForeignKeys: Bool) throws -> Int64 {
        let target = Int64(migrations.count)
        var original: Int64?
        while true {
            let finished = try transaction(.immediate) { () throws -> Bool in
                let version = try userVersion
                if original == nil { original = version }
                guard version >= 0, version <= target else {
                    throw SchemaTooNewError(found: version, supported: target)
                }
                guard version < target else { return true }
                let step = migrations[Int(version)]
                if step.rebuildsTables, try pragmaInt("foreign_keys") != 0 {
                    // Cannot happen through `migrate`; a rebuild with
                    // enforcement on would cascade-delete referencing rows.
                    throw SQLiteError(code: SQLITE_MISUSE, message: "foreign keys are enforced during a table rebuild",
                                      context: "migration step \(version + 1) (\(step.summary))")
                }
                try step.apply(self)
                if checkingForeignKeys { try checkForeignKeys(context: "migration step \(version + 1) (\(step.summary))") }
                try setUserVersion(version + 1)
                return false
            }
            if finished { return original ?? target }
        }
    }

    /// `PRAGMA foreign_key_check`: throws naming the first row whose
    /// reference has no parent.
    func checkForeignKeys(context: String) throws {
        let violations = try query("PRAGMA foreign_key_check") { row in
            "\(row.text(0) ?? "?") row \(row.int64(1)) references missing \(row.text(2) ?? "?")"
        }
        if let first = violations.first {
            // SQLITE_CONSTRAINT_FOREIGNKEY (sqlite3.h, "Extended Result
            // Codes"), a macro Swift does not import.
            throw SQLiteError(code: SQLITE_CONSTRAINT | (3 << 8),
                              message: "\(violations.count) dangling reference(s), first: \(first)", context: context)
        }
    }
}
