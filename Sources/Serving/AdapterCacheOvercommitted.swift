/// A lease refused because the adapters running and queued requests hold
/// already take more memory than the cache's budget plus its overcommit;
/// retrying once some of them finish can succeed (the daemon answers 503
/// with `Retry-After`).
public struct AdapterCacheOvercommitted: Error, Sendable, Equatable, CustomStringConvertible {
    public let inUseBytes: Int
    public let adapterBytes: Int
    public let limitBytes: Int

    public var description: String {
        "adapters in use hold \(inUseBytes >> 20) MiB; another \(max(1, adapterBytes >> 20)) MiB would pass the "
            + "\(limitBytes >> 20) MiB allowed (adapter_cache_mb plus adapter_cache_overcommit_pct); retry when running requests finish"
    }
}
