import Testing
import LoRA
import TestSupport
@testable import Serving

/// A cached copy keeps the source version it was loaded from; a lease tells
/// it, and `invalidate(_:ifOlderThan:)` drops only a copy older than the
/// version a caller found in the source.
@Suite struct AdapterCacheVersionTests {
    @Test func aLeaseTellsTheVersionOfItsCopyAndOnlyAnOlderCopyIsDropped() throws {
        let source = SwitchingSource("python-qv-r8")
        let cache = AdapterCache(source: source, budgetBytes: 64 << 20, loader: try EngineHarness.loader())
        let spec = try AdapterSpec(parsing: "a")
        #expect(try cache.lease(spec).version(of: "a") == 1)
        #expect(try cache.lease(spec).version(of: "b") == nil)

        cache.invalidate("a", ifOlderThan: 1)
        #expect(cache.isResident("a"), "a copy as new as the source's stays")
        source.replace(with: "upper-all-r4")
        #expect(try cache.lease(spec).version(of: "a") == 1, "the source changed but nobody told the cache")
        cache.invalidate("a", ifOlderThan: 2)
        #expect(!cache.isResident("a"), "older than the version found: dropped")
        #expect(try cache.lease(spec).version(of: "a") == 2)
        cache.invalidate("a", ifOlderThan: 1)
        #expect(cache.isResident("a"), "newer than the version found: kept")
        cache.invalidate("a", ifOlderThan: nil)
        #expect(!cache.isResident("a"), "the source holds no such name any more: dropped")
        #expect(cache.stats.residentBytes == 0)
    }

    @Test func aCopyWithoutAVersionIsNeverDroppedForOne() throws {
        let cache = AdapterCache(source: EngineHarness.source, budgetBytes: 64 << 20, loader: try EngineHarness.loader())
        let lease = try cache.lease(try AdapterSpec(parsing: "python-qv-r8"))
        #expect(lease.version(of: "python-qv-r8") == nil)
        cache.invalidate("python-qv-r8", ifOlderThan: 5)
        cache.invalidate("python-qv-r8", ifOlderThan: nil)
        #expect(cache.isResident("python-qv-r8"))
    }
}
