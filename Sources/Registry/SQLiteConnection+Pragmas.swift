import CSQLite

extension SQLiteConnection {
    /// Applies lorad's per-connection settings. Must run outside a transaction.
    /// - WAL: readers never block the writer, and a crashed writer's frames
    ///   without a commit record are ignored on recovery.
    /// - busy_timeout: another process (e.g. `lorad adapters list`) holding a
    ///   lock makes us wait, not fail.
    /// - DEFENSIVE + trusted_schema=OFF: SQL cannot corrupt the file through
    ///   writable_schema and friends, and schema-embedded functions are not run.
    func configure(synchronous: SQLiteSynchronous, busyTimeoutMilliseconds: Int32,
                   journalSizeLimit: Int64 = 64 << 20) throws {
        try setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        let db = try live("configuring")
        var enabled: Int32 = 0
        let rc = csqlite_db_config_int(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &enabled)
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: db, code: rc, context: "enabling SQLITE_DBCONFIG_DEFENSIVE")
        }
        let mode = try pragmaText("journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            // WAL needs shared memory; some network file systems cannot give it.
            throw SQLiteError(code: SQLITE_ERROR,
                              message: "journal_mode is \(mode ?? "unknown"), WAL could not be enabled (network file system?)",
                              context: "setting journal_mode=WAL on \(path)")
        }
        try execute("""
            PRAGMA synchronous = \(synchronous.rawValue);
            PRAGMA foreign_keys = ON;
            PRAGMA trusted_schema = OFF;
            PRAGMA journal_size_limit = \(journalSizeLimit);
            """)
    }

    /// How long a statement waits for another connection's lock before
    /// SQLITE_BUSY (`sqlite3_busy_timeout`).
    func setBusyTimeout(milliseconds: Int32) throws {
        let db = try live("setting busy timeout")
        let rc = sqlite3_busy_timeout(db, milliseconds)
        guard rc == SQLITE_OK else {
            throw SQLiteError(connection: db, code: rc, context: "setting busy timeout")
        }
    }

    /// Runs `PRAGMA <body>` and returns the first column of the first row as text.
    func pragmaText(_ body: String) throws -> String? {
        try queryFirst("PRAGMA \(body)") { $0.text(0) } ?? nil
    }

    /// Runs `PRAGMA <body>` and returns the first column of the first row as an integer.
    func pragmaInt(_ body: String) throws -> Int64? {
        try queryFirst("PRAGMA \(body)") { $0.int64(0) }
    }

    /// The schema version lorad keeps in the header's `user_version` field.
    var userVersion: Int64 {
        get throws { try pragmaInt("user_version") ?? 0 }
    }

    /// Sets `user_version`. Transactional: written with the migration it records.
    func setUserVersion(_ v: Int64) throws { try execute("PRAGMA user_version = \(v)") }

    /// `PRAGMA integrity_check` rows joined by newlines; exactly "ok" when sound.
    func integrityCheck() throws -> String {
        try query("PRAGMA integrity_check") { $0.text(0) ?? "" }.joined(separator: "\n")
    }
}
