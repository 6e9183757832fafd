import Foundation
import Synchronization
import Testing
import LoRA
@testable import Serving

/// A source of synthetic adapters whose size is chosen per name, counting
/// how often each is fetched.
final class CountingSource: AdapterSource {
    let sizes: [String: Int]             // name → number of floats in A (B is empty-ish)
    let fetches = Mutex<[String: Int]>([:])
    let failing: Set<String>
    let delay: Duration

    init(sizes: [String: Int], failing: Set<String> = [], delay: Duration = .zero) {
        self.sizes = sizes
        self.failing = failing
        self.delay = delay
    }

    func payload(of name: String) throws -> AdapterPayload {
        fetches.withLock { $0[name, default: 0] += 1 }
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) * 1e-18) }
        guard let n = sizes[name] else { throw AdapterSourceError.unknownAdapter(name) }
        if failing.contains(name) { throw TestError.broken(name) }
        return AdapterPayload(name: name, configJSON: Data("\(n)".utf8), weights: Data())
    }

    func fetchCount(_ name: String) -> Int { fetches.withLock { $0[name] ?? 0 } }
}

enum TestError: Error, Equatable { case broken(String) }

/// Builds an adapter of exactly 4·n resident bytes: rank 1, in = n − 2, out = 1
/// (A: n − 2 floats, B and its transposed copy: 1 float each).
let syntheticLoader: AdapterCache.Loader = { payload in
    let n = Int(String(decoding: payload.configJSON, as: UTF8.self)) ?? 3
    let module = LoRAModule(rank: 1, inFeatures: n - 2, outFeatures: 1, scale: 1,
                            a: [Float](repeating: 0.5, count: n - 2), b: [1])
    return LoRAAdapter(name: payload.name, modules: [LinearID(layer: 0, kind: .q): module])
}

@Suite struct AdapterCacheTests {
    @Test func leastRecentlyUsedUnleasedAdapterIsEvictedWhenOverBudget() throws {
        let source = CountingSource(sizes: ["a": 100, "b": 100, "c": 100])
        let cache = AdapterCache(source: source, budgetBytes: 800, loader: syntheticLoader) // fits two
        do { _ = try cache.lease(AdapterSpec(parsing: "a")) }
        do { _ = try cache.lease(AdapterSpec(parsing: "b")) }
        do { _ = try cache.lease(AdapterSpec(parsing: "a")) }      // a is now more recent than b
        do { _ = try cache.lease(AdapterSpec(parsing: "c")) }      // evicts b
        #expect(cache.residentNames == ["a", "c"])
        #expect(cache.stats.evictions == 1)
        #expect(cache.stats.hits == 1)
        #expect(cache.stats.misses == 3)
        #expect(cache.stats.residentBytes == 800)
        do { _ = try cache.lease(AdapterSpec(parsing: "b")) }      // reload works, evicts a (LRU)
        #expect(source.fetchCount("b") == 2)
        #expect(cache.residentNames == ["b", "c"])
    }

    @Test func leasedAdapterIsNeverEvictedAndStaysUsable() throws {
        let source = CountingSource(sizes: ["a": 100, "b": 100, "c": 100])
        let cache = AdapterCache(source: source, budgetBytes: 400, loader: syntheticLoader) // fits one
        let held = try cache.lease(AdapterSpec(parsing: "a:0.5"))
        let adapterA = held.uses[0].adapter
        do { _ = try cache.lease(AdapterSpec(parsing: "b")) }
        #expect(cache.isResident("a"), "a leased: must not be evicted")
        #expect(!cache.isResident("b"), "b unleased and over budget: evicted on release")
        #expect(held.uses[0].weight == 0.5)
        #expect(held.uses[0].adapter === adapterA)
        #expect(adapterA.modules.values.first?.a.count == 98)
    }

    @Test func invalidatedAdapterKeepsServingRunningLeasesAndReloadsForNewOnes() throws {
        let source = CountingSource(sizes: ["a": 10])
        let cache = AdapterCache(source: source, budgetBytes: 1 << 20, loader: syntheticLoader)
        let old = try cache.lease(AdapterSpec(parsing: "a"))
        cache.invalidate("a")
        let new = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(old.uses[0].adapter !== new.uses[0].adapter)
        #expect(source.fetchCount("a") == 2)
        #expect(cache.leaseCount("a") == 1)   // only the new version's lease counts
    }

    @Test func concurrentFirstUseLoadsOnce() throws {
        let source = CountingSource(sizes: ["a": 10], delay: .milliseconds(50))
        let cache = AdapterCache(source: source, budgetBytes: 1 << 20, loader: syntheticLoader)
        let identities = Mutex<Set<ObjectIdentifier>>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if let lease = try? cache.lease(AdapterSpec(parsing: "a")) {
                identities.withLock { _ = $0.insert(ObjectIdentifier(lease.uses[0].adapter)) }
            }
        }
        #expect(source.fetchCount("a") == 1)
        #expect(identities.withLock { $0.count } == 1)
        #expect(cache.stats.loads == 1)
        #expect(cache.stats.hits == 15)
    }

    @Test func loadFailureReachesTheCallerAndLeavesNoLease() throws {
        let source = CountingSource(sizes: ["a": 10, "bad": 10], failing: ["bad"])
        let cache = AdapterCache(source: source, budgetBytes: 1 << 20, loader: syntheticLoader)
        #expect(throws: TestError.broken("bad")) { try cache.lease(AdapterSpec(parsing: "a,bad")) }
        #expect(cache.leaseCount("a") == 0, "the lease on a taken before the failure is released")
        #expect(cache.stats.loadFailures == 1)
        #expect(cache.stats.misses == 2)
        // A name the source does not hold: its error, and neither a miss nor a failure.
        #expect(throws: AdapterSourceError.unknownAdapter("zzz")) { try cache.lease(AdapterSpec(parsing: "a,zzz")) }
        #expect(cache.leaseCount("a") == 0)
        #expect(cache.stats.loadFailures == 1)
        #expect(cache.stats.misses == 2)
        #expect(source.fetchCount("zzz") == 1)
    }

    /// A delete or replace that lands while the adapter is being read must not
    /// leave the version read before it resident: the load is done again.
    @Test func anInvalidationDuringALoadReadsTheNewVersion() throws {
        let source = ChangingSource()
        let cache = AdapterCache(source: source, budgetBytes: 1 << 20, loader: syntheticLoader)
        let first = Mutex<AdapterLease?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            first.withLock { $0 = try? cache.lease(AdapterSpec(parsing: "a")) }
            done.signal()
        }
        source.firstReadStarted.wait()        // version 1 has been read…
        source.replace(size: 20)              // …the source changes…
        cache.invalidate("a")                 // …and the cache is told, all before the read returns
        source.finishFirstRead.signal()
        done.wait()
        let lease = try #require(first.withLock { $0 })
        #expect(lease.uses[0].adapter.modules.values.first?.a.count == 18, "the request gets the new version")
        let next = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(next.uses[0].adapter === lease.uses[0].adapter, "and the new version is the resident one")
        #expect(source.reads == 2)
        #expect(cache.stats.loads == 1)
    }
}

/// One adapter "a" whose size (its version) can change; the first read
/// pauses after reading until the test lets it return.
final class ChangingSource: AdapterSource {
    private let state = Mutex((size: 10, reads: 0))
    let firstReadStarted = DispatchSemaphore(value: 0)
    let finishFirstRead = DispatchSemaphore(value: 0)

    func payload(of name: String) throws -> AdapterPayload {
        guard name == "a" else { throw AdapterSourceError.unknownAdapter(name) }
        let (size, reads) = state.withLock { s -> (Int, Int) in s.reads += 1; return (s.size, s.reads) }
        if reads == 1 {
            firstReadStarted.signal()
            finishFirstRead.wait()
        }
        return AdapterPayload(name: name, configJSON: Data("\(size)".utf8), weights: Data())
    }

    func replace(size: Int) { state.withLock { $0.size = size } }
    var reads: Int { state.withLock { $0.reads } }
}

@Suite struct AdapterSpecTests {
    @Test func weightedCombinationsParse() throws {
        let s = try AdapterSpec(parsing: "a:0.7, b:0.3")
        #expect(s.terms == [.init(name: "a", weight: 0.7), .init(name: "b", weight: 0.3)])
        #expect(try AdapterSpec(parsing: "x").terms == [.init(name: "x", weight: 1)])
        #expect(try AdapterSpec(parsing: "x:-1").terms == [.init(name: "x", weight: -1)])
    }

    @Test func malformedSpecsNameTheProblem() {
        #expect(throws: AdapterSpecError.invalidName("../x", spec: "../x")) { try AdapterSpec(parsing: "../x") }
        #expect(throws: AdapterSpecError.invalidName("", spec: "a,")) { try AdapterSpec(parsing: "a,") }
        #expect(throws: AdapterSpecError.invalidWeight("nan", name: "a", spec: "a:nan")) { try AdapterSpec(parsing: "a:nan") }
        #expect(throws: AdapterSpecError.invalidWeight("", name: "a", spec: "a:")) { try AdapterSpec(parsing: "a:") }
        #expect(throws: AdapterSpecError.duplicate("a", spec: "a,a:2")) { try AdapterSpec(parsing: "a,a:2") }
        #expect(throws: AdapterSpecError.self) { try AdapterSpec(parsing: String(repeating: "x", count: 65)) }
    }

    /// Spec names follow the registry's rule (`AdapterName`): a name that
    /// starts with anything but a letter or digit is refused, and the message
    /// says so.
    @Test func specNamesFollowTheSharedNamingRule() throws {
        for name in [".hidden", "-", "...", "_x"] {
            let error = try #require(throws: AdapterSpecError.self) { try AdapterSpec(parsing: "a:0.5,\(name)") }
            #expect(error == .invalidName(name, spec: "a:0.5,\(name)"))
            #expect(error.description.contains("must start with a letter or digit"), "\(error)")
        }
        #expect(try AdapterSpec(parsing: "x..:0.5,9lives").terms.map(\.name) == ["x..", "9lives"])
    }
}

/// A name discarded while its load is in flight (a folder import whose
/// registry row failed at once): the request that loaded it runs it, no copy
/// is kept, and it is not read again at once (that re-read failed the same
/// way, for ever); invalidated instead (deleted or replaced), it is read again.
@Suite struct AdapterCacheDiscardTests {
    /// Calls `during` on the cache for `name` inside each of the first `times` fetches.
    final class InterferingSource: AdapterSource {
        let inner = CountingSource(sizes: ["a": 100])
        let times: Int
        let during: @Sendable (String) -> Void
        init(times: Int, during: @escaping @Sendable (String) -> Void) {
            self.times = times
            self.during = during
        }
        func payload(of name: String) throws -> AdapterPayload {
            let payload = try inner.payload(of: name)
            if inner.fetchCount(name) <= times { during(name) }
            return payload
        }
    }

    final class CacheBox: @unchecked Sendable { var cache: AdapterCache? }  // set once before any lease

    func cache(discarding: Bool) -> (AdapterCache, InterferingSource) {
        let box = CacheBox()
        let source = InterferingSource(times: 50) { name in
            if discarding { box.cache?.discard(name) } else { box.cache?.invalidate(name) }
        }
        let cache = AdapterCache(source: source, budgetBytes: 4000, loader: syntheticLoader)
        box.cache = cache
        return (cache, source)
    }

    @Test func aLoadDiscardedInFlightServesItsRequestOnceAndKeepsNoCopy() throws {
        let (cache, source) = cache(discarding: true)
        var lease: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(source.inner.fetchCount("a") == 1)
        #expect(!cache.isResident("a"))
        #expect(cache.stats.inUseBytes == 400, "the request holds its copy")
        lease = nil
        #expect(cache.stats.inUseBytes == 0)
        _ = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(source.inner.fetchCount("a") == 2, "the next request loads afresh")
        _ = lease
    }

    @Test func aLoadInvalidatedInFlightIsReadAgain() throws {
        let (cache, source) = cache(discarding: false)
        _ = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(source.inner.fetchCount("a") == 51, "read again until a read was not invalidated")
        #expect(cache.isResident("a"))
    }
}

/// The byte budget is a soft cap (leased adapters are never evicted); the
/// overcommit bounds how far adapters in use may take it.
@Suite struct AdapterCacheOvercommitTests {
    /// Each synthetic adapter of size 100 weighs 400 bytes.
    func cache(overcommit: Int) -> AdapterCache {
        AdapterCache(source: CountingSource(sizes: ["a": 100, "b": 100, "c": 100]), budgetBytes: 400,
                     overcommitBytes: overcommit, loader: syntheticLoader)
    }

    @Test func aNewAdapterPastBudgetPlusOvercommitIsRefusedUntilALeaseEnds() throws {
        let cache = cache(overcommit: 400)   // two adapters in use at most
        var a: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"))
        var b: AdapterLease? = try cache.lease(AdapterSpec(parsing: "b"))
        // Another lease of an adapter already in use costs nothing more.
        var b2: AdapterLease? = try cache.lease(AdapterSpec(parsing: "b:0.5"))
        #expect(cache.stats.inUseBytes == 800)
        #expect(cache.stats.heldBytes == 800, "both leased: resident past the 400-byte budget")
        #expect(throws: AdapterCacheOvercommitted(inUseBytes: 800, requestBytes: 400, limitBytes: 800, reservedBytes: 0)) {
            try cache.lease(AdapterSpec(parsing: "c"))
        }
        #expect(cache.stats.overcommitRefusals == 1)
        a = nil
        #expect(cache.stats.inUseBytes == 400)
        let c = try cache.lease(AdapterSpec(parsing: "c"))
        #expect(cache.stats.inUseBytes == 800)
        // c got in: its reservation is gone, and b is leased as freely as before.
        #expect(throws: Never.self) { _ = try cache.lease(AdapterSpec(parsing: "b")) }
        b = nil
        b2 = nil
        _ = (a, b, b2, c)
    }

    /// One request alone gets its adapters whatever they weigh (a single
    /// adapter did; a mix must too, or no retry could ever pass), and a
    /// refused mix keeps no lease.
    @Test func aMixPastTheLimitIsAdmittedAloneAndRefusedBesideOthersKeepingNoLease() throws {
        let cache = cache(overcommit: 0)   // one adapter in use at most
        var mix: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a,b,c"))
        #expect(cache.stats.inUseBytes == 1200)
        mix = nil
        let c = try cache.lease(AdapterSpec(parsing: "c"))
        let refusal = try #require(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "a,b")) }
        #expect(refusal.inUseBytes == 400, "only c: not the mix's own first term")
        #expect(refusal.requestBytes == 400, "a; b was evicted meanwhile, and its size is known only once loaded")
        #expect(cache.stats.inUseBytes == 400)
        #expect(cache.leaseCount("a") == 0 && cache.leaseCount("b") == 0)
        _ = (mix, c)
    }

    /// The oldest refused request holds a reservation: while it retries,
    /// room freed by finishing requests is not taken by newcomers, and the
    /// adapters in use are not leased again, so they drain and it gets in
    /// (it used to wait for ever behind adapters that never left use).
    @Test func aRefusedRequestIsNotStarvedByAdaptersStayingInUse() throws {
        // a, b: 400 bytes each, d: 200, big: 800; at most 1000 in use.
        let cache = AdapterCache(source: CountingSource(sizes: ["a": 100, "b": 100, "d": 50, "big": 200]), budgetBytes: 800,
                                 overcommitBytes: 200, reservationLifetime: .seconds(600), loader: syntheticLoader)
        var a: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"))
        var b: AdapterLease? = try cache.lease(AdapterSpec(parsing: "b"))
        #expect(cache.stats.inUseBytes == 800)
        let first = try #require(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "big")) }
        #expect(first.requestBytes == 800 && first.reservedBytes == 0)
        // While big waits: a newcomer that would fit beside a and b alone is refused,
        let newcomer = try #require(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "d")) }
        #expect(newcomer.reservedBytes == 800)
        #expect(newcomer.description.contains("an earlier request waits for 1 KiB"), "\(newcomer)")
        // and so is another request for an adapter in use.
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "a:0.5")) }
        a = nil
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "big")) }
        b = nil
        // Nothing in use now: a newcomer that would be alone still does not
        // take the room big waits for (with requests arriving back to back,
        // one would always be there first).
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "a")) }
        let big = try cache.lease(AdapterSpec(parsing: "big"))
        #expect(cache.stats.inUseBytes == 800)
        // big got in: the reservation is gone.
        #expect(throws: Never.self) { _ = try cache.lease(AdapterSpec(parsing: "big:0.5")) }
        _ = (a, b, big)
    }

    /// A reservation whose request stops retrying lapses: it holds the others
    /// back for `reservationLifetime` at most.
    @Test func aReservationLapsesWhenItsRequestStopsRetrying() throws {
        let cache = AdapterCache(source: CountingSource(sizes: ["a": 100, "b": 100, "c": 100]), budgetBytes: 400,
                                 overcommitBytes: 400, reservationLifetime: .milliseconds(50), loader: syntheticLoader)
        let a = try cache.lease(AdapterSpec(parsing: "a"))
        let b = try cache.lease(AdapterSpec(parsing: "b"))
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "c")) }
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "a:0.5")) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(throws: Never.self) { _ = try cache.lease(AdapterSpec(parsing: "a:0.5")) }
        _ = (a, b)
    }

    /// A live merge's lease never drains, so it does not count against a
    /// request being alone: a mix that fits only alone still runs while an
    /// adapter is merged (it waited for ever, and held the others back).
    @Test func aLiveMergesPinnedLeaseDoesNotKeepARequestFromBeingAlone() throws {
        let cache = cache(overcommit: 0)   // 400 bytes in use at most
        var merged: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"), pinned: true)
        var mix: AdapterLease? = try cache.lease(AdapterSpec(parsing: "b,c"))
        #expect(cache.stats.inUseBytes == 1200)
        // Beside a request (not a merge) the same mix is refused.
        mix = nil
        let running = try cache.lease(AdapterSpec(parsing: "a"))
        merged = nil
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "b,c")) }
        _ = (merged, mix, running)
    }

    /// Waiters are served oldest first: when the one holding the reservation
    /// gets in, the next already waiting holds it, not whoever asks next.
    @Test func refusedRequestsGetInInTheOrderTheyWereFirstRefused() throws {
        let cache = AdapterCache(source: CountingSource(sizes: ["a": 100, "b": 100, "big1": 200, "big2": 200]), budgetBytes: 800,
                                 overcommitBytes: 200, reservationLifetime: .seconds(600), loader: syntheticLoader)
        var a: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"))
        var b: AdapterLease? = try cache.lease(AdapterSpec(parsing: "b"))
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "big1")) }
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "big2")) }
        a = nil
        b = nil
        // big2 retries first: big1 waited longer.
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "big2")) }
        var big1: AdapterLease? = try cache.lease(AdapterSpec(parsing: "big1"))
        big1 = nil
        // big1 is done; a newcomer arriving before big2 comes back does not take its turn.
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "a")) }
        let big2 = try cache.lease(AdapterSpec(parsing: "big2"))
        _ = (a, b, big1, big2)
    }

    /// A waiter refused for good (a name that does not exist) gives its place
    /// up at once instead of holding the others back until it lapses.
    @Test func aWaiterRefusedForGoodGivesUpItsPlace() throws {
        let cache = AdapterCache(source: CountingSource(sizes: ["a": 100, "b": 100, "big": 200]), budgetBytes: 800,
                                 overcommitBytes: 200, reservationLifetime: .seconds(600), loader: syntheticLoader)
        var a: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(throws: AdapterCacheOvercommitted.self) { try cache.lease(AdapterSpec(parsing: "big,ghost")) }
        a = nil
        #expect(throws: AdapterSourceError.unknownAdapter("ghost")) { try cache.lease(AdapterSpec(parsing: "big,ghost")) }
        #expect(throws: Never.self) { _ = try cache.lease(AdapterSpec(parsing: "b")) }
        _ = a
    }

    @Test func aRequestHeldBackOnlyByAnEarlierOneIsToldSo() {
        let refusal = AdapterCacheOvercommitted(inUseBytes: 80 << 10, requestBytes: 0, limitBytes: 1 << 20, reservedBytes: 960 << 10)
        #expect(refusal.description.hasPrefix("an earlier request waits for 960 KiB of adapter memory, which with the 80 KiB in use"))
        #expect(!refusal.description.contains("0 KiB would pass"))
    }

    @Test func overcommitMessagesGiveSizesThatAreNeverZero() {
        #expect(AdapterCacheOvercommitted.size(1) == "1 KiB")
        #expect(AdapterCacheOvercommitted.size(700 << 10) == "700 KiB")
        #expect(AdapterCacheOvercommitted.size(1 << 20) == "1.0 MiB")
        #expect(AdapterCacheOvercommitted.size(1_572_864) == "1.5 MiB")
        #expect(AdapterCacheOvercommitted.size(512 << 20) == "512.0 MiB")
    }

    @Test func aDeletedVersionHeldByARequestCountsAsHeldButNotResident() throws {
        let cache = cache(overcommit: .max)
        var old: AdapterLease? = try cache.lease(AdapterSpec(parsing: "a"))
        cache.invalidate("a")
        let new = try cache.lease(AdapterSpec(parsing: "a"))
        #expect(cache.stats.residentBytes == 400)
        #expect(cache.stats.inUseBytes == 800)
        #expect(cache.stats.heldBytes == 800)
        old = nil
        #expect(cache.stats.inUseBytes == 400)
        #expect(cache.stats.heldBytes == 400, "the old version is freed with its last lease")
        _ = (old, new)
    }
}
