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
