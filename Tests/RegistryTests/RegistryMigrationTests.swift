import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite struct RegistryMigrationTests {
    @Test func freshFileGetsTheCurrentSchema() throws {
        let (registry, url) = try RegistryTestSupport.freshRegistry()
        registry.close()
        let db = try SQLiteConnection(path: url.path)
        #expect(try db.userVersion == AdapterRegistry.schemaVersion)
        #expect(try db.pragmaInt("application_id") == AdapterRegistry.applicationID)
        #expect(try db.pragmaText("journal_mode") == "wal")
        let tables = try db.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name") { $0.text(0) ?? "" }
        #expect(tables == ["adapter_blobs", "adapter_checks", "adapter_dora_factors", "adapters", "registry_meta"])
    }

    @Test func connectionsRunWithTheDocumentedSettings() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry(options: .init(synchronous: .full, busyTimeoutMilliseconds: 1234))
        let settings = try registry.withWriter { db in
            (try db.pragmaInt("synchronous"), try db.pragmaInt("foreign_keys"), try db.pragmaInt("busy_timeout"))
        }
        #expect(settings.0 == 2)  // FULL
        #expect(settings.1 == 1)
        #expect(settings.2 == 1234)
        let (normal, _) = try RegistryTestSupport.freshRegistry(options: .init(synchronous: .normal))
        #expect(try normal.withReader { try $0.pragmaInt("synchronous") } == 1)
        #expect(try normal.withReader { try $0.pragmaInt("query_only") } == 1)
    }

    @Test func aCurrentFileReopensWithItsData() throws {
        let (registry, url) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        let record = try registry.insert(a.newAdapter(), weights: a.weights)
        var dora = try RegistryTestSupport.fixture("dora-qv-r8").newAdapter()
        dora.dora = true
        let doraRecord = try registry.insert(dora, weights: a.weights)
        registry.close()
        let reopened = try AdapterRegistry(url: url)
        #expect(try reopened.record(named: a.folder) == record)
        #expect(try reopened.record(named: "dora-qv-r8") == doraRecord)
        #expect(doraRecord.dora && !record.dora)
        #expect(try reopened.readWeights(named: a.folder) == a.weights)
        #expect(try reopened.withReader { try $0.userVersion } == AdapterRegistry.schemaVersion)
    }

    /// A file written by the version-1 schema (before DoRA) gains the `dora`
    /// column with every stored adapter marked plain, and keeps its data.
    @Test func aVersionOneFileMigratesToTheDoRAColumn() throws {
        let url = try RegistryTestSupport.olderFile(version: 1, sql: """
            UPDATE registry_meta SET value = 1 WHERE key = 'last_generation';
            INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation)
                VALUES ('old', '{}', '\(String(repeating: "a", count: 64))', 0, 0, 1);
            INSERT INTO adapter_blobs (adapter_id, weights) SELECT id, x'' FROM adapters;
            """) { (db) throws in
            #expect(try db.userVersion == 1)
        }
        let registry = try AdapterRegistry(url: url)
        #expect(try registry.withReader { try $0.userVersion } == AdapterRegistry.schemaVersion)
        let record = try #require(try registry.record(named: "old"))
        #expect(record.dora == false && record.generation == 1)
        // Later steps start empty: nothing is checked yet.
        #expect(try registry.check(named: "old") == nil)
    }

    @Test func newerSchemaVersionIsRefused() throws {
        let (registry, url) = try RegistryTestSupport.freshRegistry()
        registry.close()
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.setUserVersion(99)
        }
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry(url: url) }
        #expect(error == .unsupportedSchemaVersion(path: url.path, found: 99, supported: AdapterRegistry.schemaVersion))
        #expect(error.description.contains("newer lorad"))
    }

    @Test func emptyFileWithAFutureVersionIsRefused() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("future.sqlite3")
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.setUserVersion(99)
        }
        #expect(throws: RegistryError.unsupportedSchemaVersion(path: url.path, found: 99,
                                                               supported: AdapterRegistry.schemaVersion)) {
            try AdapterRegistry(url: url)
        }
    }

    @Test func someoneElsesDatabaseIsRefusedAndLeftAlone() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("other.sqlite3")
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.execute("CREATE TABLE notes (body TEXT)")
        }
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry(url: url) }
        guard case .notARegistry = error else {
            Issue.record("expected notARegistry, got \(error)")
            return
        }
        let db = try SQLiteConnection(path: url.path)
        let tables = try db.query("SELECT name FROM sqlite_schema WHERE type = 'table'") { $0.text(0) ?? "" }
        #expect(tables == ["notes"])
        // Not even its journal mode changed: bytes 18–19 of the header are
        // 1 for a rollback journal, 2 for WAL (sqlite.org/fileformat.html).
        let header = try [UInt8](Data(contentsOf: url).prefix(20))
        #expect(header.count == 20 && header[18] == 1 && header[19] == 1, "file format bytes \(header.suffix(2))")
        #expect(try db.pragmaText("journal_mode")?.lowercased() == "delete")
    }

    @Test func foreignApplicationIDIsRefused() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("app.sqlite3")
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.execute("PRAGMA application_id = 42")
        }
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry(url: url) }
        guard case .notARegistry(_, let reason) = error else {
            Issue.record("expected notARegistry, got \(error)")
            return
        }
        #expect(reason.contains("42"))
    }

    @Test func nonSQLiteFileIsAnSQLiteError() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("garbage.sqlite3")
        try Data(repeating: 0x5a, count: 8192).write(to: url)
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry(url: url) }
        guard case .sqlite(let code, let message, _) = error else {
            Issue.record("expected .sqlite, got \(error)")
            return
        }
        #expect(code == 26)  // SQLITE_NOTADB
        #expect(message.contains("not a database"))
    }

    // The migrator itself, with a made-up schema history.

    static let stepOne = SQLiteMigration(summary: "log table") { db in
        try db.execute("CREATE TABLE log (step INTEGER NOT NULL); INSERT INTO log VALUES (1);")
    }
    static let stepTwo = SQLiteMigration(summary: "second row") { db in
        try db.run("INSERT INTO log VALUES (?)", [.integer(2)])
    }
    static let brokenStep = SQLiteMigration(summary: "fails half-way") { db in
        try db.execute("CREATE TABLE half (x INTEGER); INSERT INTO log VALUES (3);")
        try db.execute("THIS IS NOT SQL")
    }

    @Test func migratorAppliesOnlyTheMissingStepsInOrder() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("m.sqlite3")
        let db = try SQLiteConnection(path: url.path)
        #expect(try db.migrate([Self.stepOne]) == 0)
        #expect(try db.userVersion == 1)
        #expect(try db.migrate([Self.stepOne, Self.stepTwo]) == 1)
        #expect(try db.userVersion == 2)
        #expect(try db.migrate([Self.stepOne, Self.stepTwo]) == 2)
        #expect(try db.query("SELECT step FROM log ORDER BY rowid") { $0.int64(0) } == [1, 2])
    }

    @Test func failingMigrationStepLeavesThePreviousVersion() throws {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("m.sqlite3")
        let db = try SQLiteConnection(path: url.path)
        try db.configure(synchronous: .full, busyTimeoutMilliseconds: 100)
        #expect(throws: SQLiteError.self) { try db.migrate([Self.stepOne, Self.stepTwo, Self.brokenStep]) }
        #expect(try db.userVersion == 2)
        #expect(try db.query("SELECT step FROM log ORDER BY rowid") { $0.int64(0) } == [1, 2])
        #expect(try db.queryFirst("SELECT count(*) FROM sqlite_schema WHERE name = 'half'") { $0.int64(0) } == 0)
    }
}
