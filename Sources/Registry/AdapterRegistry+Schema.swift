extension AdapterRegistry {
    /// `PRAGMA application_id` of a lorad registry: "lora" in ASCII. Lets an
    /// opener tell a registry from any other SQLite file
    /// (https://sqlite.org/fileformat.html#application_id).
    static let applicationID: Int64 = 0x6c6f_7261

    /// Forward migrations; index i moves `user_version` from i to i + 1.
    /// Append only — never edit a released step.
    static let migrations: [SQLiteMigration] = [
        SQLiteMigration(summary: "v1: adapters, adapter_blobs, registry_meta") { db in
            // Weights live in their own table, not as a column of `adapters`:
            // SQLite stores a row's columns back to back, so any column placed
            // after a 500 MB blob (including ones a later ALTER TABLE adds)
            // could only be reached by walking the blob's whole overflow
            // chain — listing metadata would read every adapter from disk.
            try db.execute("""
                CREATE TABLE adapters (
                    id             INTEGER PRIMARY KEY,
                    name           TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
                    config_json    TEXT    NOT NULL,                -- adapter_config.json, verbatim
                    sha256         TEXT    NOT NULL CHECK (length(sha256) = 64),
                    byte_size      INTEGER NOT NULL CHECK (byte_size >= 0),
                    ranks          TEXT    NOT NULL DEFAULT '[]',   -- JSON array of integers
                    alpha          REAL,
                    scale          REAL,
                    target_modules TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
                    base_model_id  TEXT,
                    created_at     INTEGER NOT NULL,                -- ms since 1970-01-01T00:00:00Z
                    generation     INTEGER NOT NULL UNIQUE          -- from registry_meta.last_generation
                ) STRICT;
                CREATE TABLE adapter_blobs (
                    adapter_id INTEGER PRIMARY KEY REFERENCES adapters(id) ON DELETE CASCADE,
                    weights    BLOB    NOT NULL                     -- adapter_model.safetensors bytes
                ) STRICT;
                CREATE TABLE registry_meta (
                    key   TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                INSERT INTO registry_meta (key, value) VALUES ('last_generation', 0);
                PRAGMA application_id = \(applicationID);
                """)
        },
        SQLiteMigration(summary: "v2: adapters.dora") { db in
            // Whether the adapter is DoRA (PEFT use_dora). Rows stored before
            // this step cannot be: lorad refused DoRA adapters until then.
            try db.execute("""
                ALTER TABLE adapters ADD COLUMN dora INTEGER NOT NULL DEFAULT 0 CHECK (dora IN (0, 1));
                """)
        },
        SQLiteMigration(summary: "v3: adapter_checks", apply: createAdapterChecks),
        SQLiteMigration(summary: "v4: adapters.chat_template") { db in
            // The adapter's own Jinja chat template (uploaded with it), or
            // NULL to render with the base model's. Last in the row, so
            // reading the metadata columns never walks a long template.
            try db.execute("ALTER TABLE adapters ADD COLUMN chat_template TEXT;")
        },
        SQLiteMigration(summary: "v5: adapter_dora_factors", apply: createDoRAFactors),
        SQLiteMigration(summary: "v6: adapters.name as long as the name rule allows", rebuildsTables: true) { db in
            try widenNameColumn(db)
        },
    ]

    /// The newest schema version this build writes.
    public static var schemaVersion: Int64 { Int64(migrations.count) }

    /// The file's `application_id`: the first read of it, so an error (a
    /// file that is no database at all) names the file.
    static func applicationID(_ db: SQLiteConnection, path: String) throws -> Int64 {
        do { return try db.pragmaInt("application_id") ?? 0 } catch let error as SQLiteError { throw error.reading(path) }
    }

    /// Refuses someone else's database (reads only: nothing is written to
    /// a file before it is known to be ours or new).
    static func refuseForeign(_ db: SQLiteConnection, path: String) throws {
        let appID = try applicationID(db, path: path)
        if appID != 0 && appID != applicationID {
            throw RegistryError.notARegistry(
                path: path, reason: "application_id is \(appID), a lorad registry has \(applicationID)")
        }
        if appID == 0, try db.userVersion == 0 {
            // A brand-new file is empty; an unmarked file with tables belongs
            // to someone else and must not get our tables added to it.
            let tables = try db.queryFirst("SELECT count(*) FROM sqlite_schema") { $0.int64(0) } ?? 0
            if tables > 0 {
                throw RegistryError.notARegistry(
                    path: path, reason: "it already holds \(tables) schema objects and no lorad application_id")
            }
        }
    }
}
