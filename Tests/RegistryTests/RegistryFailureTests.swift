import Foundation
import Testing
import TestSupport
@testable import Registry

/// A write that fails part-way must leave no trace.
@Suite struct RegistryFailureTests {
    @Test func sourceThrowingMidBlobRollsBack() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let kept = try RegistryTestSupport.fixture("python-qv-r8")
        let keptRecord = try registry.insert(kept.newAdapter(), weights: kept.weights)
        let generator = RegistryTestSupport.ByteGenerator(seed: 7)
        let source = generator.source(byteCount: 8 << 20, chunkSize: 1 << 20) { index, _ in
            if index == 3 { throw InjectedFailure(atChunk: index) }
        }
        #expect(throws: InjectedFailure(atChunk: 3)) {
            try registry.insert(NewAdapter(name: "half", configJSON: "{}"), weights: source)
        }
        #expect(try registry.count() == 1)
        #expect(try registry.record(named: "half") == nil)
        #expect(try registry.record(named: kept.folder) == keptRecord)
        #expect(try registry.integrityCheck() == "ok")
        // The connection is usable afterwards and the name is free.
        let again = try registry.insert(NewAdapter(name: "half", configJSON: "{}"),
                                        weights: generator.source(byteCount: 1 << 16))
        #expect(try registry.verify(named: "half"))
        #expect(again.byteSize == 1 << 16)
    }

    @Test func failedReplaceKeepsTheOldVersion() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("upper-all-r4")
        let original = try registry.insert(a.newAdapter(named: "live"), weights: a.weights)
        let failing = RegistryTestSupport.ByteGenerator(seed: 1).source(byteCount: 4 << 20) { index, _ in
            if index == 1 { throw InjectedFailure(atChunk: index) }
        }
        #expect(throws: InjectedFailure(atChunk: 1)) {
            try registry.insert(NewAdapter(name: "live", configJSON: "{}"), weights: failing, replace: true)
        }
        #expect(try registry.record(named: "live") == original)
        #expect(try registry.readWeights(named: "live") == a.weights)
    }

    @Test func shortSourceIsASizeMismatch() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let payload = Data(repeating: 0x41, count: 1000)
        let short = WeightsSource(byteCount: 2000) { write in
            try payload.withUnsafeBytes { try write($0) }
        }
        #expect(throws: RegistryError.weightsSizeMismatch(name: "short", declared: 2000, produced: 1000)) {
            try registry.insert(NewAdapter(name: "short", configJSON: "{}"), weights: short)
        }
        #expect(try registry.count() == 0)
    }

    @Test func longSourceIsASizeMismatch() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let long = RegistryTestSupport.ByteGenerator(seed: 2).source(byteCount: 4096, chunkSize: 1024)
        let lying = WeightsSource(byteCount: 3000, produce: long.produce)
        #expect(throws: RegistryError.weightsSizeMismatch(name: "long", declared: 3000, produced: 3072)) {
            try registry.insert(NewAdapter(name: "long", configJSON: "{}"), weights: lying)
        }
        #expect(try registry.count() == 0)
        #expect(try registry.integrityCheck() == "ok")
    }

    @Test func weightsOverTheSQLiteLimitAreRefusedUpFront() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        var produced = false
        let huge = WeightsSource(byteCount: 5_000_000_000) { _ in produced = true }
        let error = try #require(throws: RegistryError.self) {
            try registry.insert(NewAdapter(name: "huge", configJSON: "{}"), weights: huge)
        }
        guard case .weightsTooLarge(let name, let count, let limit) = error else {
            Issue.record("expected weightsTooLarge, got \(error)")
            return
        }
        #expect(name == "huge" && count == 5_000_000_000 && limit < count)
        #expect(!produced)
    }

    @Test func sqliteErrorsCarryCodeMessageAndContext() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let error = try #require(throws: RegistryError.self) {
            try registry.withWriter { db in try db.run("INSERT INTO no_such_table VALUES (1)") }
        }
        guard case .sqlite(let code, let message, let context) = error else {
            Issue.record("expected .sqlite, got \(error)")
            return
        }
        #expect(code == 1)  // SQLITE_ERROR
        #expect(message.contains("no such table"))
        #expect(context.contains("INSERT INTO no_such_table"))
        #expect(error.description.contains("no such table"))
    }

    @Test func constraintViolationsReportTheExtendedCode() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let error = try #require(throws: RegistryError.self) {
            try registry.withWriter { db in
                try db.run("INSERT INTO registry_meta (key, value) VALUES ('last_generation', 5)")
            }
        }
        guard case .sqlite(let code, _, _) = error else {
            Issue.record("expected .sqlite, got \(error)")
            return
        }
        #expect(code == 1555)  // SQLITE_CONSTRAINT_PRIMARYKEY
    }

    @Test func unopenableFileIsAnSQLiteError() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-registry")
        let path = dir.appendingPathComponent("missing-dir/adapters.sqlite3").path
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry(path: path) }
        guard case .sqlite(let code, _, let context) = error else {
            Issue.record("expected .sqlite, got \(error)")
            return
        }
        #expect(code & 0xff == 14)  // SQLITE_CANTOPEN
        #expect(context.contains(path))
    }
}
