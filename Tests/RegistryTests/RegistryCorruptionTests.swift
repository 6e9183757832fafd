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

    @Test func badJSONColumnIsCorrupt() throws {
        let (registry, fixture) = try seeded()
        try registry.withWriter { db in try db.run("UPDATE adapters SET ranks = 'eight'") }
        let error = try #require(throws: RegistryError.self) { try registry.list() }
        guard case .corrupt(let name, let reason) = error else {
            Issue.record("expected corrupt, got \(error)")
            return
        }
        #expect(name == fixture.folder)
        #expect(reason.contains("ranks"))
    }
}
