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
        let allowed = "the \(Self.size(limitBytes)) allowed (adapter_cache_mb plus adapter_cache_overcommit_pct)"
        guard requestBytes > 0 else {
            // Its adapters are in memory already: what holds it back is the
            // earlier request, for which the adapters in use must drain.
            return "an earlier request waits for \(Self.size(reservedBytes)) of adapter memory, which with the "
                + "\(Self.size(inUseBytes)) in use would pass \(allowed); requests that keep adapters in use wait "
                + "until it is in: retry shortly"
        }
        let waiting = reservedBytes > 0 ? " and an earlier request waits for \(Self.size(reservedBytes))" : ""
        return "adapters in use hold \(Self.size(inUseBytes))\(waiting); this request's \(Self.size(requestBytes)) would pass "
            + "\(allowed); retry when running requests finish"
    }

    /// `1.5 MiB`, or `312 KiB` under one MiB (rounded up: never `0` for
    /// a size that is not 0).
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 {
            let tenths = (bytes * 10 + (1 << 19)) >> 20
            return "\(tenths / 10).\(tenths % 10) MiB"
        }
        return "\((bytes + 1023) >> 10) KiB"
    }
}
