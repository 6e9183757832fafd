/// A lease refused because the adapters running and queued requests hold
/// (plus the room an older refused request waits for) leave too little of
/// the cache's budget plus its overcommit; retrying once some of them
/// finish can succeed (the daemon answers 503 with `Retry-After`).
public struct AdapterCacheOvercommitted: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bytes of the adapters other requests hold.
    public let inUseBytes: Int
    /// Bytes this request would bring into use (at least).
    public let requestBytes: Int
    public let limitBytes: Int
    /// Room held for an older request refused before this one (0: none).
    public let reservedBytes: Int

    public var description: String {
        let waiting = reservedBytes > 0 ? " and an earlier request waits for \(Self.size(reservedBytes))" : ""
        return "adapters in use hold \(Self.size(inUseBytes))\(waiting); this request's \(Self.size(requestBytes)) would pass "
            + "the \(Self.size(limitBytes)) allowed (adapter_cache_mb plus adapter_cache_overcommit_pct); "
            + "retry when running requests finish"
    }

    /// `1.5 MiB`, or `312 KiB` under one MiB (rounded up: never `0`).
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 {
            let tenths = (bytes * 10 + (1 << 19)) >> 20
            return "\(tenths / 10).\(tenths % 10) MiB"
        }
        return "\((bytes + 1023) >> 10) KiB"
    }
}
