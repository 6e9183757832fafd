/// Counters and gauges of the engine, read by /metrics and the benchmark.
public struct EngineStats: Sendable, Equatable {
    public var queued = 0
    public var running = 0
    public var steps = 0
    public var promptTokens = 0
    public var generatedTokens = 0
    public var completed = 0
    public var cancelled = 0
    public var failed = 0
    public var rejectedOverloaded = 0
    /// Finished sequences whose 16-bit KV cache had to hold a finite key or
    /// value as ±infinity (`SequenceState.overflowedValues`): an F16 cache
    /// under a model whose keys or values pass ±65504.
    public var kvOverflowedSequences = 0
    /// KV bytes reserved by running sequences.
    public var kvReservedBytes = 0
    /// Distinct adapters of the running sequences, sorted.
    public var runningAdapters: [String] = []
    /// Distinct adapters of the queued requests, sorted.
    public var waitingAdapters: [String] = []
    /// Unix time (seconds) when either list last changed.
    public var adaptersChangedAt: Double = 0
    /// Sequences per step: count of steps by batch size (index = rows of decode + prefill sequences).
    public var batchSizeCounts: [Int: Int] = [:]
}
