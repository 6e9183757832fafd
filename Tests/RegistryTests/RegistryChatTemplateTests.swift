import Foundation
import Testing
import TestSupport
@testable import Registry

/// An adapter's own chat template: stored with it in the same transaction,
/// read back with the version it belongs to, gone with a replace or delete;
/// a version-3 file (before templates) gains the column empty.
@Suite struct RegistryChatTemplateTests {
    @Test func theTemplateIsStoredAndReadWithItsVersion() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        var new = a.newAdapter()
        new.chatTemplate = "{{ messages[0].content }}é"
        let record = try registry.insert(new, weights: a.weights)
        let stored = try #require(try registry.chatTemplate(named: a.folder))
        #expect(stored.generation == record.generation && stored.template == new.chatTemplate)
        let replaced = try registry.insert(a.newAdapter(), weights: a.weights, replace: true)
        let after = try #require(try registry.chatTemplate(named: a.folder))
        #expect(after.generation == replaced.generation && after.template == nil)
        try registry.delete(named: a.folder)
        #expect(try registry.chatTemplate(named: a.folder) == nil)
    }

    @Test func aVersionThreeFileGainsAnEmptyTemplateColumn() throws {
        let url = try RegistryTestSupport.olderFile(version: 3, sql: """
            UPDATE registry_meta SET value = 1 WHERE key = 'last_generation';
            INSERT INTO adapters (name, config_json, sha256, byte_size, created_at, generation, dora)
                VALUES ('old', '{}', '\(String(repeating: "a", count: 64))', 0, 0, 1, 1);
            INSERT INTO adapter_blobs (adapter_id, weights) SELECT id, x'' FROM adapters;
            """)
        let registry = try AdapterRegistry(url: url)
        #expect(try registry.withReader { try $0.userVersion } == AdapterRegistry.schemaVersion)
        #expect(try registry.record(named: "old")?.dora == true)
        let stored = try #require(try registry.chatTemplate(named: "old"))
        #expect(stored.generation == 1 && stored.template == nil)
    }
}
