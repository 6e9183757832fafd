import CSQLite

extension AdapterRegistry {
    /// The connections of a read-only registry (`Options.readOnly`), after
    /// checking that the file is a lorad registry of this build's schema.
    ///
    /// Nothing is written, so an empty file or someone else's database is
    /// left byte for byte as it was: the connections are opened with
    /// SQLITE_OPEN_READONLY (no CREATE: a missing file is an error) and
    /// `query_only`, the journal mode is not touched (the daemon sets WAL;
    /// a read-only connection reads a WAL database as long as its -shm and
    /// -wal files exist or can be created, https://sqlite.org/wal.html#readonly),
    /// and no migration runs. An older schema is refused rather than read
    /// through queries written for the current one; `lorad serve` migrates it.
    static func openReadOnly(path: String, options: Options) throws -> (SQLiteConnection, SQLiteReaderPool) {
        let open: @Sendable () throws -> SQLiteConnection = {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            try connection.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)
            // Schema-embedded SQL functions are never run for a file not yet
            // known to be ours (https://sqlite.org/pragma.html#pragma_trusted_schema).
            try connection.execute("PRAGMA trusted_schema = OFF; PRAGMA query_only = ON")
            return connection
        }
        do {
            let first = try open()
            try requireCurrentRegistry(first, path: path)
            return (first, try SQLiteReaderPool(maxIdle: options.idleReaders, open: open))
        } catch {
            throw mapped(error, path: path, busyTimeout: options.busyTimeoutMilliseconds)
        }
    }

    /// Refuses anything but a lorad registry (its application_id) at
    /// exactly `schemaVersion`. Reads two header fields, writes nothing.
    static func requireCurrentRegistry(_ db: SQLiteConnection, path: String) throws {
        let appID = try applicationID(db, path: path)
        guard appID == applicationID else {
            let objects = try db.queryFirst("SELECT count(*) FROM sqlite_schema") { $0.int64(0) } ?? 0
            throw RegistryError.notARegistry(path: path, reason: appID == 0 && objects == 0
                ? "it is empty (`lorad serve` creates a registry)"
                : "application_id is \(appID), a lorad registry has \(applicationID)")
        }
        let version = try db.userVersion
        guard version >= 0, version <= schemaVersion else {
            throw SchemaTooNewError(found: version, supported: schemaVersion)
        }
        guard version == schemaVersion else {
            throw RegistryError.needsMigration(path: path, found: version, current: schemaVersion)
        }
    }
}
