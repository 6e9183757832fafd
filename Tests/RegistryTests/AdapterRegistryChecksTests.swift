import Foundation
import Testing
@testable import Registry

/// Stored validation outcomes belong to one adapter version and one base
/// fingerprint; pages of the listing add up to the whole listing.
@Suite struct AdapterRegistryChecksTests {
    static func adapter(_ name: String) -> NewAdapter {
        NewAdapter(name: name, configJSON: "{}", ranks: [1], alpha: 1, scale: 1, targetModules: ["q_proj"])
    }

    @Test func anOutcomeIsStoredForTheCurrentVersionOnly() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("checks")
        let first = try registry.insert(Self.adapter("a"), weights: Data([1, 2, 3]))
        #expect(try registry.check(named: "a") == nil)
        #expect(try registry.storeCheck(named: "a", generation: first.generation, baseFingerprint: "base-1", problem: nil))
        #expect(try registry.check(named: "a") == AdapterCheck(generation: first.generation, baseFingerprint: "base-1", problem: nil))

        // A replace is a new version: the outcome of the old one is gone, and
        // a late write for the old one stores nothing.
        let second = try registry.insert(Self.adapter("a"), weights: Data([4, 5]), replace: true)
        #expect(try registry.check(named: "a") == nil)
        #expect(try !registry.storeCheck(named: "a", generation: first.generation, baseFingerprint: "base-1", problem: nil))
        #expect(try registry.check(named: "a") == nil)
        #expect(try registry.storeCheck(named: "a", generation: second.generation, baseFingerprint: "base-1",
                                        problem: "lora_A has 64 columns"))
        #expect(try registry.check(named: "a")?.problem == "lora_A has 64 columns")

        // Delete takes the outcome with the row (a re-upload starts unchecked).
        #expect(try registry.delete(named: "a"))
        _ = try registry.insert(Self.adapter("a"), weights: Data([6]))
        #expect(try registry.check(named: "a") == nil)
        #expect(try !registry.storeCheck(named: "missing", generation: 1, baseFingerprint: "base-1", problem: nil))
    }

    @Test func uncheckedCountsVersionsWithoutAnOutcomeAgainstThatBase() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("checks-count")
        var generations: [String: Int64] = [:]
        for name in ["a", "b", "c"] { generations[name] = try registry.insert(Self.adapter(name), weights: Data([1])).generation }
        #expect(try registry.uncheckedCount(baseFingerprint: "base-1") == 3)
        try registry.storeCheck(named: "a", generation: generations["a"]!, baseFingerprint: "base-1", problem: nil)
        try registry.storeCheck(named: "b", generation: generations["b"]!, baseFingerprint: "base-2", problem: "x")
        #expect(try registry.uncheckedCount(baseFingerprint: "base-1") == 2)
        #expect(try registry.uncheckedCount(baseFingerprint: "base-2") == 2)
        #expect(try registry.uncheckedCount(baseFingerprint: "base-3") == 3)
        let found = try registry.checks(from: "a", through: "c")
        #expect(Set(found.keys) == ["a", "b"])
        #expect(found["b"]?.baseFingerprint == "base-2")
        #expect(try registry.checks(from: "b", through: "c").keys.sorted() == ["b"])
    }

    @Test(arguments: [1, 3, 7, 50])
    func pagesConcatenateToTheFullListing(limit: Int) throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry("pages")
        var rng = SystemRandomNumberGenerator()
        for i in 0..<23 {
            // Inserted out of name order.
            _ = try registry.insert(Self.adapter("n\(UInt32.random(in: 0...UInt32.max, using: &rng))-\(i)"), weights: Data([1]))
        }
        let whole = try registry.list()
        var paged: [AdapterRecord] = []
        var after: String?
        while true {
            let page = try registry.page(after: after, limit: limit)
            #expect(page.records.count <= limit)
            paged += page.records
            guard page.hasMore else { break }
            #expect(page.records.count == limit)
            after = page.records.last?.name
        }
        #expect(paged == whole)
        #expect(try registry.page(after: whole.last?.name, limit: limit).records.isEmpty)
        // `after` need not be a stored name: it is a position in name order.
        #expect(try registry.page(after: "n", limit: 100).records == whole)
    }
}
