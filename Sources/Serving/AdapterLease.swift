import LoRA

/// The adapters one request holds for its whole life: one lease however
/// many sequences the request runs (prompts × n), so all of them run the same
/// versions. Releasing happens when the lease is deallocated (the last
/// sequence holding it finished or was cancelled, or the request was refused
/// before any was queued).
public final class AdapterLease: Sendable {
    private let cache: AdapterCache
    /// What was leased: the request's spec, term by term.
    public let spec: AdapterSpec
    /// One adapter of the lease: its name, the copy held, the source's
    /// version it was loaded from and the cache's serial of that load.
    struct Held {
        let name: String
        let adapter: LoRAAdapter
        let version: Int64?
        let serial: UInt64
    }
    private let held: [Held]
    /// The per-row mix the forward pass takes (resolved: `AdapterUse.resolve`).
    public let uses: [AdapterUse]

    /// Taken for a live merge (`AdapterCache.lease(_:pinned:)`).
    private let pinned: Bool

    init(cache: AdapterCache, spec: AdapterSpec, held: [Held], pinned: Bool = false, uses: [AdapterUse]) {
        self.cache = cache
        self.spec = spec
        self.held = held
        self.uses = uses
        self.pinned = pinned
    }

    /// The source's version (`AdapterPayload.version`: the registry's
    /// generation) the leased copy of `name` was loaded from; nil when the
    /// source gave none (a folder import not yet stored) or `name` is not
    /// in the lease.
    public func version(of name: String) -> Int64? {
        held.first { $0.name == name }?.version
    }

    /// One key per distinct adapter copy held (`name#serial`): what
    /// `max_loras` counts, so a replaced adapter's old and new versions
    /// running side by side are two adapters, as they are in memory.
    public var slots: Set<String> { Set(held.map { "\($0.name)#\($0.serial)" }) }

    deinit {
        for held in held { cache.release(held.name, held.adapter, pinned: pinned) }
    }
}
