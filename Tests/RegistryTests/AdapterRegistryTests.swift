import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite struct AdapterRegistryTests {
    @Test func fixtureAdaptersRoundTripByteForByte() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let fixtures = try RegistryTestSupport.allFixtures()
        for fixture in fixtures {
            let record = try registry.insert(fixture.newAdapter(), weights: try .file(fixture.weightsURL))
            #expect(record.byteSize == Int64(fixture.weights.count))
            // Independent hash of the file bytes (the type itself is pinned by SHA256Tests).
            #expect(record.sha256 == SHA256.hex(of: fixture.weights))
        }
        #expect(try registry.count() == fixtures.count)
        for fixture in fixtures {
            #expect(try registry.readWeights(named: fixture.folder) == fixture.weights)
            #expect(try registry.readConfig(named: fixture.folder) == fixture.config)
            var streamed = Data()
            try registry.readWeights(named: fixture.folder, chunkSize: 4096) { streamed.append(contentsOf: $0) }
            #expect(streamed == fixture.weights)
            let loaded = try registry.load(named: fixture.folder)
            #expect(loaded.weights == fixture.weights)
            #expect(loaded.configJSON == Data(fixture.config.utf8))
            #expect(loaded.sha256 == SHA256.hex(of: fixture.weights))
            #expect(try registry.verify(named: fixture.folder))
        }
        #expect(try registry.integrityCheck() == "ok")
    }

    @Test func metadataIsStoredAsGiven() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let fixture = try RegistryTestSupport.fixture("rslora-qkvo-r16")
        let before = Date(timeIntervalSince1970: floor(Date().timeIntervalSince1970))
        let inserted = try registry.insert(fixture.newAdapter(), weights: fixture.weights)
        let record = try #require(try registry.record(named: fixture.folder))
        #expect(record == inserted)
        #expect(record.name == "rslora-qkvo-r16")
        #expect(record.ranks == [16])
        #expect(record.alpha == fixture.alpha)
        #expect(record.scale == fixture.alpha / 16)
        #expect(record.targetModules == fixture.targetModules)
        #expect(record.baseModelId == "tiny-llama")
        #expect(record.createdAt >= before && record.createdAt <= Date())
        #expect(try registry.record(named: "missing") == nil)
    }

    @Test func listIsSortedByNameAndDeleteRemoves() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        for fixture in try RegistryTestSupport.allFixtures() {
            try registry.insert(fixture.newAdapter(), weights: fixture.weights)
        }
        #expect(try registry.list().map(\.name) == Fixtures.adapterNames.sorted())
        #expect(try registry.delete(named: "upper-all-r4"))
        #expect(try !registry.delete(named: "upper-all-r4"))
        #expect(try registry.list().map(\.name) == ["python-qv-r8", "rslora-qkvo-r16"])
        #expect(try registry.record(named: "upper-all-r4") == nil)
        #expect(throws: RegistryError.notFound("upper-all-r4")) { try registry.readWeights(named: "upper-all-r4") }
        #expect(throws: RegistryError.notFound("upper-all-r4")) { try registry.readConfig(named: "upper-all-r4") }
        #expect(throws: RegistryError.notFound("upper-all-r4")) { try registry.load(named: "upper-all-r4") }
        // The blob row went with it (ON DELETE CASCADE).
        let orphans = try registry.withReader { db in
            try db.queryFirst("SELECT count(*) FROM adapter_blobs") { $0.int64(0) }
        }
        #expect(orphans == 2)
        #expect(try registry.integrityCheck() == "ok")
    }

    @Test func duplicateNameIsRefusedAndChangesNothing() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        let b = try RegistryTestSupport.fixture("upper-all-r4")
        let original = try registry.insert(a.newAdapter(named: "shared"), weights: a.weights)
        #expect(throws: RegistryError.alreadyExists("shared")) {
            try registry.insert(b.newAdapter(named: "shared"), weights: b.weights)
        }
        #expect(try registry.count() == 1)
        #expect(try registry.record(named: "shared") == original)
        #expect(try registry.readWeights(named: "shared") == a.weights)
        #expect(try registry.readConfig(named: "shared") == a.config)
        #expect(try registry.verify(named: "shared"))
    }

    @Test func replaceStoresNewBytesUnderANewGeneration() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        let b = try RegistryTestSupport.fixture("upper-all-r4")
        let first = try registry.insert(a.newAdapter(named: "shared"), weights: a.weights)
        let second = try registry.insert(b.newAdapter(named: "shared"), weights: b.weights, replace: true)
        #expect(second.generation > first.generation)
        #expect(second.sha256 == SHA256.hex(of: b.weights))
        #expect(second.sha256 != first.sha256)
        #expect(try registry.count() == 1)
        #expect(try registry.readWeights(named: "shared") == b.weights)
        #expect(try registry.readConfig(named: "shared") == b.config)
        #expect(try registry.load(named: "shared").generation == second.generation)
        // The old blob is gone with its row.
        let blobs = try registry.withReader { db in
            try db.queryFirst("SELECT count(*) FROM adapter_blobs") { $0.int64(0) }
        }
        #expect(blobs == 1)
    }

    @Test func generationIsNeverReusedAfterDeleteAndReupload() throws {
        let (registry, url) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        let first = try registry.insert(a.newAdapter(named: "x"), weights: a.weights)
        try registry.delete(named: "x")
        let second = try registry.insert(a.newAdapter(named: "x"), weights: a.weights)
        #expect(second.generation > first.generation)
        registry.close()
        let reopened = try AdapterRegistry(url: url)
        let third = try reopened.insert(a.newAdapter(named: "y"), weights: a.weights)
        #expect(third.generation > second.generation)
    }

    @Test func emptyWeightsRoundTrip() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let record = try registry.insert(NewAdapter(name: "empty", configJSON: "{}"), weights: Data())
        #expect(record.byteSize == 0)
        #expect(record.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try registry.readWeights(named: "empty") == Data())
        #expect(try registry.verify(named: "empty"))
    }

    @Test func expectedChecksumIsEnforced() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        var adapter = a.newAdapter()
        adapter.expectedSHA256 = SHA256.hex(of: a.weights).uppercased()
        #expect(try registry.insert(adapter, weights: a.weights).sha256 == SHA256.hex(of: a.weights))

        adapter.name = "wrong-sum"
        adapter.expectedSHA256 = String(repeating: "ab", count: 32)
        #expect(throws: RegistryError.checksumMismatch(name: "wrong-sum", expected: adapter.expectedSHA256!,
                                                       actual: SHA256.hex(of: a.weights))) {
            try registry.insert(adapter, weights: a.weights)
        }
        adapter.expectedSHA256 = "not-hex"
        #expect(throws: RegistryError.self) { try registry.insert(adapter, weights: a.weights) }
        #expect(try registry.count() == 1)
    }

    @Test func closedRegistryRefusesCalls() throws {
        let (registry, url) = try RegistryTestSupport.freshRegistry()
        registry.close()
        #expect(throws: RegistryError.closed(path: url.path)) { try registry.count() }
        #expect(throws: RegistryError.closed(path: url.path)) {
            try registry.insert(NewAdapter(name: "x", configJSON: "{}"), weights: Data())
        }
    }
}
