extension SQLiteConnection {
    /// Brings the schema up to `migrations.count`. Each step runs in its own
    /// `BEGIN IMMEDIATE` transaction that re-reads `user_version` first, so two
    /// processes opening the same new file cannot both apply a step, and a
    /// crash between steps leaves a valid, older version to resume from.
    /// - Returns: the version found before migrating.
    @discardableResult
    func migrate(_ migrations: [SQLiteMigration]) throws -> Int64 {
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
                try migrations[Int(version)].apply(self)
                try setUserVersion(version + 1)
                return false
            }
            if finished { return original ?? target }
        }
    }
}
