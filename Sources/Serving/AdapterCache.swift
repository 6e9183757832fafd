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
/// last lease ends). `overcommitBytes` bounds that: a lease that would bring
/// adapters into use past budget + overcommit is refused
/// (`AdapterCacheOvercommitted`, a 503 for the daemon) instead of growing
/// memory without bound — unless nothing else is in use: one request alone
/// always gets its adapters, however large its mix, or it could never run.
/// Refused requests that keep retrying wait in turn (`waiters`): the oldest
/// holds a *reservation*, and no other lease may bring adapters into use
/// unless they fit beside the reserved bytes, so room that frees up goes to
/// it rather than to whoever asks first (a stream of small new adapters
/// would otherwise keep a large one out for ever). A live merge's lease is
/// `pinned`: it never drains, so it does not count against being alone.
///
/// `@unchecked Sendable`: all mutable state is guarded by `condition` (an
/// NSCondition, not a Mutex: first requests wait on it for a load in flight).
public final class AdapterCache: @unchecked Sendable {
    public typealias Loader = @Sendable (AdapterPayload) throws -> LoRAAdapter

    private final class Entry {
        let adapter: LoRAAdapter
        /// The source's version it was loaded from (`AdapterPayload.version`).
        let version: Int64?
        /// Which load of the cache this copy came from: a replaced adapter's
        /// old and new copies have the same name but not the same serial.
        let serial: UInt64
        var leases = 0
        var lastUse: UInt64 = 0
        init(adapter: LoRAAdapter, version: Int64?, serial: UInt64) {
            self.adapter = adapter
            self.version = version
            self.serial = serial
        }
    }

    private let source: AdapterSource
    private let loader: Loader
    private let condition = NSCondition()
    private var entries: [String: Entry] = [:]
    /// Names whose load is in flight (concurrent first requests wait for it
    /// instead of loading the same adapter twice), and what happened to the
    /// name since that load began.
    private var loading: [String: LoadMark] = [:]
    private enum LoadMark {
        case fresh
        /// Invalidated (deleted or replaced): what is being read may be the
        /// old version; read again.
        case stale
        /// Discarded (`discard`): serve what was read to the request that
        /// read it, but keep no copy.
        case unkept
    }
    private var clock: UInt64 = 0
    private var loadSerial: UInt64 = 0
    private var counters = AdapterCacheStats()
    /// Every adapter object some lease holds (resident or already
    /// invalidated) → its bytes and number of leases.
    private var inUse: [ObjectIdentifier: (bytes: Int, leases: Int)] = [:]
    public let budgetBytes: Int
    /// How far past `budgetBytes` the adapters in use may go before new
    /// ones are refused.
    public let overcommitBytes: Int
    /// Requests refused for lack of room that keep retrying, oldest first:
    /// the adapter names of each spec, the bytes it needed, and when it
    /// lapses unless that request comes back (each refusal renews it). The
    /// first holds the reservation; when it gets in (or lapses, or fails
    /// for good) the next already waiting takes over, not whoever is
    /// refused next.
    private var waiters: [(names: [String], bytes: Int, expires: ContinuousClock.Instant)] = []
    /// Leases that stay until taken back on purpose (a live merge), not
    /// until a request ends: their adapters never drain, so they do not
    /// count against a request being alone. Adapter → such leases.
    private var pinned: [ObjectIdentifier: Int] = [:]
    /// How long a reservation outlives its last refusal: the daemon's
    /// `Retry-After` is 1 s, so a client that follows it is back well within
    /// the default 3 s; one that gives up holds the others back no longer.
    public let reservationLifetime: Duration

    private var limitBytes: Int { budgetBytes > Int.max - overcommitBytes ? Int.max : budgetBytes + overcommitBytes }

    public init(source: AdapterSource, budgetBytes: Int, overcommitBytes: Int = .max,
                reservationLifetime: Duration = .seconds(3), loader: @escaping Loader) {
        self.source = source
        self.budgetBytes = budgetBytes
        self.overcommitBytes = overcommitBytes
        self.reservationLifetime = reservationLifetime
        self.loader = loader
    }

    /// Counts a lease of `adapter` for `claim`, refusing one that would
    /// bring a new adapter into use past budget + overcommit (or into the
    /// room a reservation holds for another request) while adapters other
    /// than the claim's own are in use. Called with the lock held.
    private func take(_ adapter: LoRAAdapter, for claim: inout Claim) throws {
        let id = ObjectIdentifier(adapter)
        let now = ContinuousClock.now
        waiters.removeAll { $0.expires < now }
        let reserved = waiters.first.map { $0.names == claim.names ? 0 : $0.bytes } ?? 0
        let adds = inUse[id] == nil ? adapter.byteCount : 0
        let broughtInBytes = claim.broughtIn.reduce(0) { $0 + (inUse[$1]?.bytes ?? 0) }
        // Everything in use is this request's own (or pinned by a live merge,
        // which never drains), and no older request waits for the room (else
        // a newcomer arriving when all has drained would take it, again and
        // again, ahead of the one waiting).
        let othersInUse = inUse.contains { id, held in !claim.broughtIn.contains(id) && (pinned[id] ?? 0) < held.leases }
        let alone = !othersInUse && reserved == 0
        // A lease of an adapter already in use adds nothing, but while an
        // older request waits for room it is refused too: the adapters in
        // use must drain for that request to get in at all.
        let fits = counters.inUseBytes + reserved + adds <= limitBytes
        if !alone, !fits, adds > 0 || reserved > 0 {
            counters.overcommitRefusals += 1
            let needed = broughtInBytes + adds + claim.remainingBytes
            if adds > 0 {
                if let i = waiters.firstIndex(where: { $0.names == claim.names }) {
                    waiters[i].bytes = max(waiters[i].bytes, needed)
                    waiters[i].expires = now + reservationLifetime
                } else {
                    waiters.append((claim.names, needed, now + reservationLifetime))
                }
            }
            throw AdapterCacheOvercommitted(inUseBytes: counters.inUseBytes - broughtInBytes, requestBytes: needed,
                                            limitBytes: limitBytes, reservedBytes: reserved)
        }
        if let held = inUse[id] {
            inUse[id] = (held.bytes, held.leases + 1)
        } else {
            inUse[id] = (adapter.byteCount, 1)
            counters.inUseBytes += adapter.byteCount
            claim.broughtIn.insert(id)
        }
    }

    /// One lease in the making: what its spec names, the adapters it has
    /// brought into use so far (not in use before it), and a lower bound of
    /// the bytes its later terms add (those already resident and not in use).
    private struct Claim {
        let names: [String]
        var broughtIn: Set<ObjectIdentifier> = []
        var remainingBytes = 0
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
    /// - Parameter pinned: the lease stays until taken back on purpose (a
    ///   live merge), not until a request ends (see `pinned`).
    public func lease(_ spec: AdapterSpec, pinned isPinned: Bool = false) throws -> AdapterLease {
        var taken: [AdapterLease.Held] = []
        var claim = Claim(names: spec.terms.map(\.name).sorted())
        do {
            for (index, term) in spec.terms.enumerated() {
                claim.remainingBytes = residentBytesNotInUse(spec.terms.dropFirst(index + 1).map(\.name))
                taken.append(try acquire(term.name, for: &claim))
            }
            let uses = try AdapterUse.resolve(zip(taken, spec.terms).map { AdapterUse($0.adapter, weight: $1.weight) })
            condition.lock()
            waiters.removeAll { $0.names == claim.names }  // it got in
            if isPinned { for held in taken { pinned[ObjectIdentifier(held.adapter), default: 0] += 1 } }
            condition.unlock()
            return AdapterLease(cache: self, spec: spec, held: taken, pinned: isPinned, uses: uses)
        } catch {
            for held in taken { release(held.name, held.adapter) }
            if !(error is AdapterCacheOvercommitted) {
                // Refused for good (an unknown name, a DoRA combination): it
                // will not come back for the room it was waiting for.
                condition.lock()
                waiters.removeAll { $0.names == claim.names }
                condition.unlock()
            }
            throw error
        }
    }

    /// Bytes of the resident adapters among `names` that no lease holds.
    private func residentBytesNotInUse(_ names: [String]) -> Int {
        guard !names.isEmpty else { return 0 }
        condition.lock()
        defer { condition.unlock() }
        return names.reduce(0) { sum, name in
            guard let entry = entries[name], inUse[ObjectIdentifier(entry.adapter)] == nil else { return sum }
            return sum + entry.adapter.byteCount
        }
    }

    /// The adapter resident under `name` (loaded if needed) and the version
    /// it was loaded from, leased.
    private func acquire(_ name: String, for claim: inout Claim) throws -> AdapterLease.Held {
        condition.lock()
        while true {
            if let entry = entries[name] {
                do { try take(entry.adapter, for: &claim) } catch { condition.unlock(); throw error }
                entry.leases += 1
                clock += 1
                entry.lastUse = clock
                counters.hits += 1
                condition.unlock()
                return AdapterLease.Held(name: name, adapter: entry.adapter, version: entry.version, serial: entry.serial)
            }
            if loading[name] != nil {
                condition.wait()
                continue
            }
            loading[name] = .fresh
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
            if loading[name] == .stale {
                // Deleted or replaced while loading: what was read may be the
                // old version (or the old absence). Read again.
                loading[name] = .fresh
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
                loadSerial += 1
                if loading[name] == .unkept {
                    // Discarded while loading: this request runs it, nobody keeps it.
                    try take(adapter, for: &claim)
                    return AdapterLease.Held(name: name, adapter: adapter, version: version, serial: loadSerial)
                }
                let entry = Entry(adapter: adapter, version: version, serial: loadSerial)
                clock += 1
                entry.lastUse = clock
                entries[name] = entry
                counters.residentBytes += adapter.byteCount
                // Loaded either way (the next request may fit); leased only within the overcommit.
                do { try take(adapter, for: &claim) } catch { evictIfNeeded(); throw error }
                entry.leases = 1
                evictIfNeeded()
                return AdapterLease.Held(name: name, adapter: adapter, version: version, serial: entry.serial)
            }
        }
    }

    func release(_ name: String, _ adapter: LoRAAdapter, pinned isPinned: Bool = false) {
        condition.lock()
        defer { condition.unlock() }
        if isPinned, let n = pinned[ObjectIdentifier(adapter)] {
            pinned[ObjectIdentifier(adapter)] = n > 1 ? n - 1 : nil
        }
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
        if loading[name] != nil { loading[name] = .stale }
    }

    /// Drops `name`'s resident copy, like `invalidate`, but a load in
    /// flight is not read again: the request that started it is served what
    /// it read (which nothing made stale), and no copy of it is kept, so the
    /// next request loads `name` afresh. For a source whose copy must not
    /// stay served from memory (a folder import whose registry row could
    /// not be written): re-reading at once would import the folder again,
    /// fail to store it again, and go round for as long as writes fail.
    public func discard(_ name: String) {
        condition.lock()
        defer { condition.unlock() }
        if let entry = entries.removeValue(forKey: name) {
            counters.residentBytes -= entry.adapter.byteCount
        }
        if loading[name] == .fresh { loading[name] = .unkept }
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
