import Foundation
import Testing
import TestSupport
@testable import Registry

/// DoRA factors kept with an adapter version, per base fingerprint
/// (schema v5, `adapter_dora_factors`). The values are opaque bytes here.
@Suite struct RegistryDoRAFactorsTests {
    static func factors(_ fingerprint: String, seed: UInt8) -> StoredDoRAFactors {
        StoredDoRAFactors(baseFingerprint: fingerprint, modules: "model.layers.0.self_attn.q_proj 3",
                          factors: Data((0..<12).map { seed &+ UInt8($0) }))
    }

    static func doraAdapter(_ name: String = "dora-qv-r8", factors: StoredDoRAFactors?) throws -> (NewAdapter, Data) {
        let fixture = try RegistryTestSupport.fixture("dora-qv-r8")
        var new = fixture.newAdapter(named: name)
        new.dora = true
        new.doraFactors = factors
        return (new, fixture.weights)
    }

    static func factorRows(_ registry: AdapterRegistry) throws -> Int64 {
        try registry.withReader { db in try db.queryFirst("SELECT count(*) FROM adapter_dora_factors") { $0.int64(0) } ?? -1 }
    }

    @Test func factorsStoredWithTheAdapterComeBackOnlyForItsVersionAndBase() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("dora-factors")
        let stored = Self.factors("base-a", seed: 1)
        let (new, weights) = try Self.doraAdapter(factors: stored)
        let record = try registry.insert(new, weights: weights)
        #expect(try registry.doraFactors(named: new.name, generation: record.generation, baseFingerprint: "base-a") == stored)
        #expect(try registry.doraFactors(named: new.name, generation: record.generation, baseFingerprint: "base-b") == nil)
        #expect(try registry.doraFactors(named: new.name, generation: record.generation - 1, baseFingerprint: "base-a") == nil)

        // Another base's factors sit beside them; a rewrite replaces its own.
        let other = Self.factors("base-b", seed: 50)
        #expect(try registry.storeDoRAFactors(named: new.name, generation: record.generation, other))
        let rewritten = Self.factors("base-a", seed: 99)
        #expect(try registry.storeDoRAFactors(named: new.name, generation: record.generation, rewritten))
        #expect(try registry.doraFactors(named: new.name, generation: record.generation, baseFingerprint: "base-a") == rewritten)
        #expect(try registry.doraFactors(named: new.name, generation: record.generation, baseFingerprint: "base-b") == other)
        #expect(try Self.factorRows(registry) == 2)
    }

    @Test func aReplaceOrDeleteDropsTheFactorsAndAnOlderVersionsWriteStoresNothing() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("dora-factors-replace")
        let (new, weights) = try Self.doraAdapter(factors: Self.factors("base-a", seed: 1))
        let first = try registry.insert(new, weights: weights)
        var plain = new
        plain.doraFactors = nil
        let second = try registry.insert(plain, weights: weights, replace: true)
        #expect(try Self.factorRows(registry) == 0)
        #expect(try registry.doraFactors(named: new.name, generation: second.generation, baseFingerprint: "base-a") == nil)
        // Computed for the replaced version: not stored against the new one.
        #expect(try !registry.storeDoRAFactors(named: new.name, generation: first.generation, Self.factors("base-a", seed: 2)))
        #expect(try registry.storeDoRAFactors(named: new.name, generation: second.generation, Self.factors("base-a", seed: 3)))
        #expect(try registry.delete(named: new.name))
        #expect(try Self.factorRows(registry) == 0)
        #expect(try !registry.storeDoRAFactors(named: new.name, generation: second.generation, Self.factors("base-a", seed: 4)))
    }

    /// The factors are written inside the insert's transaction: an insert
    /// refused after they were written (checksum mismatch) leaves neither
    /// the adapter nor its factors.
    @Test func aFailedInsertLeavesNoFactors() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("dora-factors-rollback")
        var (new, weights) = try Self.doraAdapter(factors: Self.factors("base-a", seed: 1))
        new.expectedSHA256 = String(repeating: "0", count: 64)
        #expect(throws: RegistryError.self) { try registry.insert(new, weights: weights) }
        #expect(try registry.record(named: new.name) == nil)
        #expect(try Self.factorRows(registry) == 0)
    }

    /// A file written by the version-4 schema (before stored factors) gains
    /// the empty factors table and keeps its adapters and their checks.
    @Test func aVersionFourFileMigratesToStoredFactors() throws {
        let url = try RegistryTestSupport.olderFile(version: 4, sql: """
            UPDATE registry_meta SET value = 1 WHERE key = 'last_generation';
            INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation, dora)
                VALUES ('old', '{}', '\(String(repeating: "a", count: 64))', 0, 0, 1, 1);
            INSERT INTO adapter_blobs (adapter_id, weights) SELECT id, x'' FROM adapters;
            INSERT INTO adapter_checks (adapter_id, generation, base_fingerprint, problem, checked_at)
                SELECT id, 1, 'base-a', NULL, 0 FROM adapters;
            """) { db in
            #expect(try db.userVersion == 4)
            let tables = try db.query("SELECT name FROM sqlite_schema WHERE name = 'adapter_dora_factors'") { $0.text(0) }
            #expect(tables.isEmpty)
        }
        let registry = try AdapterRegistry(url: url)
        #expect(try registry.withReader { try $0.userVersion } == AdapterRegistry.schemaVersion)
        let record = try #require(try registry.record(named: "old"))
        #expect(record.dora && record.generation == 1)
        #expect(try registry.check(named: "old")?.baseFingerprint == "base-a")
        #expect(try registry.doraFactors(named: "old", generation: 1, baseFingerprint: "base-a") == nil)
        let stored = Self.factors("base-a", seed: 7)
        #expect(try registry.storeDoRAFactors(named: "old", generation: 1, stored))
        #expect(try registry.doraFactors(named: "old", generation: 1, baseFingerprint: "base-a") == stored)
    }
}
