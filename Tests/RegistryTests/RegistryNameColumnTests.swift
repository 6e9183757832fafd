import AdapterNaming
import Foundation
import Testing
import TestSupport
@testable import Registry

/// Schema step v6: `adapters.name` holds every name the name rule accepts
/// (a hub id of up to 96 + 1 + 96 characters), reached from a v5 file by
/// rebuilding the table with its rows, rowids, references and indexes, and
/// an interruption at any point of that rebuild leaves the v5 file intact.
@Suite struct RegistryNameColumnTests {
    /// The longest hub id, built here from the Hub's rule (each side 1–96
    /// characters), not from `AdapterName`'s constants.
    static let longestHubID = String(repeating: "o", count: 96) + "/" + String(repeating: "n", count: 96)

    static let sha = String(repeating: "a", count: 64)

    /// A v5 registry as lorad wrote it before this step: a plain and a DoRA
    /// adapter, each with its blob, a stored check, and the DoRA one with
    /// its factors.
    static func versionFiveFile() throws -> URL {
        try RegistryTestSupport.olderFile(version: 5, sql: """
            UPDATE registry_meta SET value = 2 WHERE key = 'last_generation';
            INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation, dora)
                VALUES ('old', '{"r": 8}', '\(sha)', 3, 1000, 1, 0), ('old-dora', '{}', '\(sha)', 2, 2000, 2, 1);
            INSERT INTO adapter_blobs (adapter_id, weights)
                SELECT id, CASE name WHEN 'old' THEN x'010203' ELSE x'0405' END FROM adapters;
            INSERT INTO adapter_checks (adapter_id, generation, base_fingerprint, problem, checked_at)
                SELECT id, generation, 'fp', NULL, 0 FROM adapters;
            INSERT INTO adapter_dora_factors (adapter_id, base_fingerprint, generation, computed_at, modules, factors)
                SELECT id, 'fp', generation, 0, '["q"]', x'0000803f' FROM adapters WHERE dora = 1;
            """)
    }

    /// What the v5 rows must still be after any migration attempt.
    static func expectOldRows(_ db: SQLiteConnection) throws {
        let rows = try db.query("""
            SELECT a.id, a.name, a.generation, a.dora, hex(b.weights), c.base_fingerprint FROM adapters a
            JOIN adapter_blobs b ON b.adapter_id = a.id JOIN adapter_checks c ON c.adapter_id = a.id ORDER BY a.id
            """) { "\($0.int64(0)) \($0.text(1) ?? "") \($0.int64(2)) \($0.int64(3)) \($0.text(4) ?? "") \($0.text(5) ?? "")" }
        #expect(rows == ["1 old 1 0 010203 fp", "2 old-dora 2 1 0405 fp"])
        #expect(try db.queryFirst("SELECT count(*) FROM adapter_dora_factors WHERE adapter_id = 2") { $0.int64(0) } == 1)
        #expect(try db.integrityCheck() == "ok")
        #expect(try db.query("PRAGMA foreign_key_check") { $0.text(0) ?? "" }.isEmpty)
    }

    /// The CREATE statement of `adapters` as the file holds it.
    static func adaptersSQL(_ db: SQLiteConnection) throws -> String {
        try db.queryFirst("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'adapters'") { $0.text(0) ?? "" } ?? ""
    }

    @Test func theLongestHubIDIsOneTheNameRuleAccepts() {
        #expect(Self.longestHubID.count == 193)
        #expect(AdapterName.brokenRule(Self.longestHubID) == nil)
        #expect(AdapterName.brokenRule("o" + Self.longestHubID) != nil)
        #expect(AdapterName.longestLength == Self.longestHubID.count)
    }

    @Test func aVersionFiveFileRefusesALongHubIDThenMigratesAndStoresIt() throws {
        let url = try Self.versionFiveFile()
        do {
            // The old schema: the CHECK of v1 refuses a 65-character name.
            let db = try SQLiteConnection(path: url.path)
            let error = try #require(throws: SQLiteError.self) {
                try db.run("INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation) VALUES (?, '{}', ?, 0, 0, 9)",
                           [.text(String(repeating: "o", count: 62) + "/nn"), .text(Self.sha)])
            }
            #expect(error.code == 275)  // SQLITE_CONSTRAINT_CHECK
            #expect(try Self.adaptersSQL(db).contains("BETWEEN 1 AND 64"))
        }
        let registry = try AdapterRegistry(url: url)
        #expect(try registry.withReader { try $0.userVersion } == 6)
        try registry.withWriter { db in
            try Self.expectOldRows(db)
            #expect(try db.pragmaInt("foreign_keys") == 1)
            #expect(try db.queryFirst("SELECT count(*) FROM sqlite_schema WHERE name = 'adapters_rebuilt'") { $0.int64(0) } == 0)
            // Both UNIQUE constraints still have their index.
            let indexes = try db.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'adapters' ORDER BY name") { $0.text(0) ?? "" }
            #expect(indexes.count == 2)
        }
        #expect(try registry.record(named: "old")?.generation == 1)
        #expect(try registry.readWeights(named: "old") == Data([1, 2, 3]))
        #expect(try registry.check(named: "old-dora")?.baseFingerprint == "fp")
        #expect(try registry.doraFactors(named: "old-dora", generation: 2, baseFingerprint: "fp")?.factors == Data([0, 0, 0x80, 0x3f]))

        let stored = try registry.insert(NewAdapter(name: Self.longestHubID, configJSON: "{}"), weights: Data([7, 8]))
        #expect(stored.generation == 3)
        #expect(try registry.list().map(\.name) == ["old", "old-dora", Self.longestHubID].sorted())
        #expect(try registry.readWeights(named: Self.longestHubID) == Data([7, 8]))
        #expect(try registry.delete(named: Self.longestHubID))
        // ON DELETE CASCADE still reaches the rebuilt table's rows.
        #expect(try registry.delete(named: "old-dora"))
        try registry.withReader { (db) throws in
            for table in ["adapter_blobs", "adapter_checks", "adapter_dora_factors"] {
                #expect(try db.queryFirst("SELECT count(*) FROM \(table) WHERE adapter_id <> 1") { $0.int64(0) } == 0, "\(table)")
            }
        }
        #expect(try registry.integrityCheck() == "ok")
    }

    /// The bound a registry enforces, tried with raw SQL at the name rule's
    /// longest name and one past it, equals the rule's.
    @Test func theBoundInForceIsTheNameRulesLongestName() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        try registry.withWriter { db in
            let insert = "INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation) VALUES (?, '{}', ?, 0, 0, ?)"
            try db.run(insert, [.text(String(repeating: "x", count: AdapterName.longestLength)), .text(Self.sha), .integer(1)])
            let error = try #require(throws: SQLiteError.self) {
                try db.run(insert, [.text(String(repeating: "y", count: AdapterName.longestLength + 1)), .text(Self.sha), .integer(2)])
            }
            #expect(error.code == 275)  // SQLITE_CONSTRAINT_CHECK
        }
        #expect(try registry.withReader { try $0.userVersion } == AdapterRegistry.schemaVersion)
    }

    /// A fresh file and a migrated one end with the same schema, object for object.
    @Test func aMigratedFileHasTheFreshFilesSchema() throws {
        let (fresh, _) = try RegistryTestSupport.freshRegistry()
        let migrated = try AdapterRegistry(url: try Self.versionFiveFile())
        let schema = { (registry: AdapterRegistry) in
            try registry.withReader { db in
                try db.query("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name") {
                    "\($0.text(0) ?? "") \($0.text(1) ?? "") \($0.text(2) ?? "") \($0.text(3) ?? "")"
                }
            }
        }
        #expect(try schema(fresh) == schema(migrated))
    }

    /// The v6 step with its rebuild stopped after `stop` by an error.
    static func interrupted(after stop: SQLiteConnection.RebuildStage,
                            _ onStage: @escaping @Sendable (SQLiteConnection.RebuildStage) throws -> Void = { _ in })
        -> [SQLiteMigration] {
        Array(AdapterRegistry.migrations.prefix(5)) + [
            SQLiteMigration(summary: "v6 interrupted after \(stop)", rebuildsTables: true) { db in
                try AdapterRegistry.widenNameColumn(db) { stage in
                    try onStage(stage)
                    if stage == stop { throw InjectedFailure(atChunk: 0) }
                }
            },
        ]
    }

    /// An error at any stage rolls the whole rebuild back: version 5, the
    /// old table with its rows and references, foreign keys enforced again;
    /// the next open migrates.
    @Test(arguments: SQLiteConnection.RebuildStage.allCases)
    func aRebuildStoppedAtAnyStageLeavesTheVersionFiveFile(_ stage: SQLiteConnection.RebuildStage) throws {
        let url = try Self.versionFiveFile()
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.configure(synchronous: .full, busyTimeoutMilliseconds: 100)
            #expect(throws: InjectedFailure.self) { try db.migrate(Self.interrupted(after: stage)) }
            #expect(try db.userVersion == 5)
            #expect(try db.pragmaInt("foreign_keys") == 1)
            #expect(try Self.adaptersSQL(db).contains("BETWEEN 1 AND 64"))
            #expect(try db.queryFirst("SELECT count(*) FROM sqlite_schema WHERE name = 'adapters_rebuilt'") { $0.int64(0) } == 0)
            try Self.expectOldRows(db)
        }
        let registry = try AdapterRegistry(url: url)
        #expect(try registry.withReader { try $0.userVersion } == 6)
        try registry.withReader(Self.expectOldRows)
    }

    /// A `kill -9` at any stage: the files as they are on disk at that
    /// instant (the database, and its WAL with whatever uncommitted frames
    /// the rebuild pushed out of a small page cache, without a commit
    /// record) open as the v5 registry, which then migrates.
    @Test(arguments: SQLiteConnection.RebuildStage.allCases)
    func aCrashImageTakenAtAnyStageOfTheRebuildOpensIntact(_ stage: SQLiteConnection.RebuildStage) throws {
        let url = try Self.versionFiveFile()
        let image = try Fixtures.temporaryDirectory("lorad-rebuild-image").appendingPathComponent("adapters.sqlite3")
        defer { RegistryCrashTests.remove(url, image) }
        let copy: @Sendable (SQLiteConnection.RebuildStage) throws -> Void = { reached in
            guard reached == stage else { return }
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: url.path + suffix) {
                try FileManager.default.copyItem(atPath: url.path + suffix, toPath: image.path + suffix)
            }
        }
        do {
            let db = try SQLiteConnection(path: url.path)
            try db.configure(synchronous: .full, busyTimeoutMilliseconds: 100)
            try db.execute("PRAGMA cache_size = -16")
            #expect(throws: InjectedFailure.self) { try db.migrate(Self.interrupted(after: stage, copy)) }
        }
        do {
            let db = try SQLiteConnection(path: image.path)
            #expect(try db.userVersion == 5)
            try Self.expectOldRows(db)
        }
        let registry = try AdapterRegistry(url: image)
        #expect(try registry.withReader { try $0.userVersion } == 6)
        try registry.withReader(Self.expectOldRows)
        #expect(try registry.insert(NewAdapter(name: Self.longestHubID, configJSON: "{}"), weights: Data([1])).generation == 3)
    }
}
