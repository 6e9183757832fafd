import Foundation
import Testing
import TestSupport
@testable import Registry

/// Rows changed behind the registry's back are reported, never served as if fine.
@Suite struct RegistryCorruptionTests {
    private func seeded() throws -> (AdapterRegistry, RegistryTestSupport.FixtureAdapter) {
        let (registry, _) = try RegistryTestSupport.freshRegistry("corrupt")
        let fixture = try RegistryTestSupport.fixture("python-qv-r8")
        try registry.insert(fixture.newAdapter(), weights: fixture.weights)
        return (registry, fixture)
    }

    @Test func changedBytesFailVerification() throws {
        let (registry, fixture) = try seeded()
        var tampered = fixture.weights
        tampered[tampered.count - 1] ^= 0xff
        try registry.withWriter { db in
            try db.run("UPDATE adapter_blobs SET weights = ?", [.blob(tampered)])
        }
        #expect(try !registry.verify(named: fixture.folder))
    }

    @Test func sizeDisagreementIsCorrupt() throws {
        let (registry, fixture) = try seeded()
        try registry.withWriter { db in try db.run("UPDATE adapters SET byte_size = 1") }
        let error = try #require(throws: RegistryError.self) { try registry.readWeights(named: fixture.folder) }
        guard case .corrupt(let name, let reason) = error else {
            Issue.record("expected corrupt, got \(error)")
            return
        }
        #expect(name == fixture.folder)
        #expect(reason.contains("\(fixture.weights.count)"))
    }

    @Test func aBadJSONColumnIsReportedOnItsRowWithoutFailingTheListing() throws {
        let (registry, fixture) = try seeded()
        let other = try RegistryTestSupport.fixture("upper-all-r4")
        try registry.insert(other.newAdapter(), weights: other.weights)
        try registry.withWriter { db in try db.run("UPDATE adapters SET ranks = 'eight' WHERE name = ?", [.text(fixture.folder)]) }
        let records = try registry.list()
        #expect(records.count == 2)
        let bad = try #require(records.first { $0.name == fixture.folder })
        #expect(bad.defect?.contains("ranks") == true)
        #expect(bad.ranks == [])
        #expect(records.first { $0.name == other.folder }?.defect == nil)
    }

    @Test func aNonFiniteScaleLeftByAnOlderVersionIsReportedNotFatal() throws {
        let (registry, fixture) = try seeded()
        // SQLite stores 9e999 as +inf; versions before the scale bound could write it.
        try registry.withWriter { db in try db.run("UPDATE adapters SET scale = 9e999, alpha = 1e308") }
        let record = try #require(try registry.record(named: fixture.folder))
        #expect(record.scale == nil)
        #expect(record.alpha == 1e308)
        #expect(record.defect?.contains("scale") == true)
        #expect(try registry.list().count == 1)
    }

    @Test func nonFiniteMetadataIsNeverStored() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("nonfinite")
        let fixture = try RegistryTestSupport.fixture("python-qv-r8")
        var adapter = fixture.newAdapter()
        adapter.scale = .infinity
        let error = try #require(throws: RegistryError.self) { try registry.insert(adapter, weights: fixture.weights) }
        guard case .invalidMetadata(_, "scale", _) = error else { Issue.record("expected invalidMetadata, got \(error)"); return }
        #expect(try registry.list().isEmpty)
    }
}
