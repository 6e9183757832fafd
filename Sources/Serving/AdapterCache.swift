import Foundation
import LoRA

/// Resident adapters: loaded on first use from an `AdapterSource`, validated
/// and converted to F32 by `loader`, kept in an LRU bounded by bytes (not by
/// count: a rank-64 all-linear adapter weighs hundreds of rank-8 q,v ones).
///
/// Entries are keyed by name alone: a hit asks the source nothing (for the
/// daemon, no SQLite). Whoever deletes or replaces an adapter in the source
/// calls `invalidate`; a lease holds the `LoRAAdapter` itself, so that never
/// changes or frees what a running sequence uses, and the next request loads
/// the new version. A load that overlaps an `invalidate` of its name is
/// discarded and done again, so the version read before the change can never
/// become the resident one after it. Each entry keeps the source's version
/// it was loaded from, and a lease tells it (`AdapterLease.version(of:)`):
/// a caller that reads something else of the adapter from the source itself
/// (the daemon: its chat template) checks it belongs to the weights it runs.
///
/// Requests take a *lease*. A leased adapter is never evicted, so the byte
/// budget is a soft cap: adapters in use by running or queued requests stay
/// in memory even past it (and a deleted or replaced version stays until its
/// last lease ends). `overcommitBytes` bounds that: a lease that would need
/// an adapter not yet in use while the adapters in use already hold more
/// than budget + overcommit is refused (`AdapterCacheOvercommitted`, a 503
/// for the daemon) instead of growing memory without bound.
///
/// `@unchecked Sendable`: all mutable state is guarded by `condition` (an
/// NSCondition, not a Mutex: first requests wait on it for a load in flight).
public final class AdapterCache: @unchecked Sendable {
    public typealias Loader = @Sendable (AdapterPayload) throws -> LoRAAdapter

    private final class Entry {
        let adapter: LoRAAdapter
        /// The source's version it was loaded from (`AdapterPayload.version`).
        let version: Int64?
        var leases = 0
        var lastUse: UInt64 = 0
        init(adapter: LoRAAdapter, version: Int64?) {
            self.adapter = adapter
            self.version = version
        }
    }

    private let source: AdapterSource
    private let loader: Loader
    private let condition = NSCondition()
    private var entries: [String: Entry] = [:]
    /// Names whose load is in flight (concurrent first requests wait for it
    /// instead of loading the same adapter twice), and whether the name was
    /// invalidated since that load began (then its result is stale).
    private var loading: [String: Bool] = [:]
    private var clock: UInt64 = 0
    private var counters = AdapterCacheStats()
    /// Every adapter object some lease holds (resident or already
    /// invalidated) → its bytes and number of leases.
    private var inUse: [ObjectIdentifier: (bytes: Int, leases: Int)] = [:]
    public let budgetBytes: Int
    /// How far past `budgetBytes` the adapters in use may go before new
    /// ones are refused.
    public let overcommitBytes: Int

    public init(source: AdapterSource, budgetBytes: Int, overcommitBytes: Int = .max, loader: @escaping Loader) {
        self.source = source
        self.budgetBytes = budgetBytes
        self.overcommitBytes = overcommitBytes
        self.loader = loader
    }

    /// Counts a lease of `adapter`, refusing one that would bring a new
    /// adapter into use past budget + overcommit. Called with the lock held.
    private func take(_ adapter: LoRAAdapter) throws {
        let id = ObjectIdentifier(adapter)
        if let held = inUse[id] {
            inUse[id] = (held.bytes, held.leases + 1)
        } else {
            let limit = budgetBytes > Int.max - overcommitBytes ? Int.max : budgetBytes + overcommitBytes
            guard counters.inUseBytes + adapter.byteCount <= limit || inUse.isEmpty else {
                counters.overcommitRefusals += 1
                throw AdapterCacheOvercommitted(inUseBytes: counters.inUseBytes, adapterBytes: adapter.byteCount,
                                                limitBytes: limit)
            }
            inUse[id] = (adapter.byteCount, 1)
            counters.inUseBytes += adapter.byteCount
        }
    }

    /// Ends one lease of `adapter`. Called with the lock held.
    private func drop(_ adapter: LoRAAdapter) {
        let id = ObjectIdentifier(adapter)
        guard let held = inUse[id] else { return }
        if held.leases > 1 {
            inUse[id] = (held.bytes, held.leases - 1)
        } else {
            inUse[id] = nil
            counters.inUseBytes -= held.bytes
        }
    }

    /// Leases every adapter a spec names (loading as needed) and resolves the
    /// mix (`AdapterUse.resolve`: a weighted DoRA adapter gets its factors for
    /// that weight, computed here on the caller's thread and cached with the
    /// adapter; a DoRA adapter in a combination is refused). On failure no
    /// lease is kept.
    public func lease(_ spec: AdapterSpec) throws -> AdapterLease {
        var taken: [(name: String, adapter: LoRAAdapter, version: Int64?)] = []
        do {
            for term in spec.terms {
                let (adapter, version) = try acquire(term.name)
                taken.append((term.name, adapter, version))
            }
            let uses = try AdapterUse.resolve(zip(taken, spec.terms).map { AdapterUse($0.adapter, weight: $1.weight) })
            return AdapterLease(cache: self, spec: spec, held: taken, uses: uses)
        } catch {
            for held in taken { release(held.name, held.adapter) }
            throw error
        }
    }

    /// The adapter resident under `name` (loaded if needed) and the version
    /// it was loaded from, leased.
    private func acquire(_ name: String) throws -> (LoRAAdapter, Int64?) {
        condition.lock()
        while true {
            if let entry = entries[name] {
                do { try take(entry.adapter) } catch { condition.unlock(); throw error }
                entry.leases += 1
                clock += 1
                entry.lastUse = clock
                counters.hits += 1
                condition.unlock()
                return (entry.adapter, entry.version)
            }
            if loading[name] != nil {
                condition.wait()
                continue
            }
            loading[name] = false
            break
        }
        condition.unlock()

        while true {
            // Load outside the lock: parsing and converting weights takes
            // milliseconds and other names must stay servable meanwhile.
            let start = ContinuousClock.now
            let result = Result { () throws -> (LoRAAdapter, Int64?) in
                let payload = try source.payload(of: name)
                return (try loader(payload), payload.version)
            }
            let elapsed = ContinuousClock.now - start

            condition.lock()
            if loading[name] == true {
                // Deleted or replaced while loading: what was read may be the
                // old version (or the old absence). Read again.
                loading[name] = false
                condition.unlock()
                continue
            }
            defer {
                loading[name] = nil
                condition.broadcast()
                condition.unlock()
            }
            switch result {
            case .failure(AdapterSourceError.unknownAdapter(let unknown)) where unknown == name:
                // Not a cache miss: nothing by that name to load.
                throw AdapterSourceError.unknownAdapter(name)
            case .failure(let error):
                counters.misses += 1
                counters.loadFailures += 1
                throw error
            case .success(let (adapter, version)):
                counters.misses += 1
                counters.loads += 1
                counters.loadSeconds += elapsed.seconds
                let entry = Entry(adapter: adapter, version: version)
                clock += 1
                entry.lastUse = clock
                entries[name] = entry
                counters.residentBytes += adapter.byteCount
                // Loaded either way (the next request may fit); leased only within the overcommit.
                do { try take(adapter) } catch { evictIfNeeded(); throw error }
                entry.leases = 1
                evictIfNeeded()
                return (adapter, version)
            }
        }
    }

    fileprivate func release(_ name: String, _ adapter: LoRAAdapter) {
        condition.lock()
        defer { condition.unlock() }
        drop(adapter)
        // The entry may have been invalidated (deleted/replaced) meanwhile;
        // then this lease was the last holder and ARC frees the old version.
        guard let entry = entries[name], entry.adapter === adapter else { return }
        entry.leases -= 1
        evictIfNeeded()
    }

    /// Drops `name` from the cache (after delete or replace). Running leases
    /// keep their copy; new leases load the current version, and a load in
    /// flight is done again (see the type's comment).
    public func invalidate(_ name: String) {
        condition.lock()
        defer { condition.unlock() }
        if let entry = entries.removeValue(forKey: name) {
            counters.residentBytes -= entry.adapter.byteCount
        }
        if loading[name] != nil { loading[name] = true }
    }

    /// Drops `name`'s resident copy when it was loaded from a version older
    /// than `current` (nil: the source no longer holds `name`), for a caller
    /// that read the source and found it ahead of the copy it leased: the
    /// change's own `invalidate` comes only after its commit, and leases
    /// taken in between would all get the stale copy. A copy without a
    /// version, or one as new, stays; a load in flight is left to
    /// `invalidate`.
    public func invalidate(_ name: String, ifOlderThan current: Int64?) {
        condition.lock()
        defer { condition.unlock() }
        guard let entry = entries[name], let version = entry.version else { return }
        if let current, version >= current { return }
        entries[name] = nil
        counters.residentBytes -= entry.adapter.byteCount
    }

    /// Least recently used first, never a leased one. Over budget with every
    /// entry leased, the cache stays over budget until leases end.
    private func evictIfNeeded() {
        while counters.residentBytes > budgetBytes {
            guard let victim = entries.filter({ $0.value.leases == 0 })
                .min(by: { $0.value.lastUse < $1.value.lastUse }) else { return }
            entries.removeValue(forKey: victim.key)
            counters.residentBytes -= victim.value.adapter.byteCount
            counters.evictions += 1
        }
    }

    public func isResident(_ name: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return entries[name] != nil
    }

    /// Running leases on `name`'s resident version.
    public func leaseCount(_ name: String) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return entries[name]?.leases ?? 0
    }

    public var residentNames: [String] {
        condition.lock()
        defer { condition.unlock() }
        return entries.keys.sorted()
    }

    public var stats: AdapterCacheStats {
        condition.lock()
        defer { condition.unlock() }
        var stats = counters
        // Resident bytes plus what leases keep alive after a delete/replace.
        let resident = Set(entries.values.map { ObjectIdentifier($0.adapter) })
        stats.heldBytes = counters.residentBytes + inUse.filter { !resident.contains($0.key) }.reduce(0) { $0 + $1.value.bytes }
        return stats
    }
}

/// Counters for /metrics and the benchmark.
public struct AdapterCacheStats: Sendable, Equatable {
    /// Leases served from memory.
    public var hits = 0
    /// Leases that went to the source for an adapter it holds (a name it
    /// does not hold is neither a hit nor a miss), whether or not it loaded.
    public var misses = 0
    public var loads = 0
    public var loadFailures = 0
    public var evictions = 0
    public var residentBytes = 0
    /// Bytes of the distinct adapters leases hold now, resident or already
    /// deleted/replaced; past `budgetBytes` the cache is over its soft cap.
    public var inUseBytes = 0
    /// Bytes of adapters in memory: resident ones plus deleted or replaced
    /// versions that running requests still hold. `heldBytes - budgetBytes`
    /// (when positive) is how far the soft cap is exceeded.
    public var heldBytes = 0
    /// Leases refused because they would take the adapters in use past
    /// budget + overcommit.
    public var overcommitRefusals = 0
    /// Total seconds spent loading (payload read + validation + conversion).
    public var loadSeconds = 0.0
}

/// The adapters one request holds for its whole life: one lease however
/// many sequences the request runs (prompts × n), so all of them run the same
/// versions. Releasing happens when the lease is deallocated (the last
/// sequence holding it finished or was cancelled, or the request was refused
/// before any was queued).
public final class AdapterLease: Sendable {
    private let cache: AdapterCache
    /// What was leased: the request's spec, term by term.
    public let spec: AdapterSpec
    private let held: [(name: String, adapter: LoRAAdapter, version: Int64?)]
    /// The per-row mix the forward pass takes (resolved: `AdapterUse.resolve`).
    public let uses: [AdapterUse]

    fileprivate init(cache: AdapterCache, spec: AdapterSpec, held: [(name: String, adapter: LoRAAdapter, version: Int64?)],
                     uses: [AdapterUse]) {
        self.cache = cache
        self.spec = spec
        self.held = held
        self.uses = uses
    }

    /// The source's version (`AdapterPayload.version`: the registry's
    /// generation) the leased copy of `name` was loaded from; nil when the
    /// source gave none (a folder import not yet stored) or `name` is not
    /// in the lease.
    public func version(of name: String) -> Int64? {
        held.first { $0.name == name }?.version
    }

    deinit {
        for held in held { cache.release(held.name, held.adapter) }
    }
}
