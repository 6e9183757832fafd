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
    private let held: [(name: String, adapter: LoRAAdapter, version: Int64?)]
    /// The per-row mix the forward pass takes (resolved: `AdapterUse.resolve`).
    public let uses: [AdapterUse]

    init(cache: AdapterCache, spec: AdapterSpec, held: [(name: String, adapter: LoRAAdapter, version: Int64?)],
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
