import Kernels

/// Limits of the serving engine, with the defaults an operator gets when the
/// configuration file says nothing (`etc/lorad.conf` documents the same).
public struct EngineConfiguration: Sendable, Equatable {
    /// Sequences decoded together in one step (continuous batching width).
    public var maxBatch: Int = 16
    /// Requests waiting for a batch slot; one more is refused as overloaded
    /// (HTTP 503 + Retry-After) instead of queueing without bound.
    public var maxQueue: Int = 64
    /// Distinct adapters the running batch may use at once (vLLM's
    /// `--max-loras`); a request that would bring one more waits in the queue.
    public var maxLoras: Int = 32
    /// Bytes of KV cache the running sequences may reserve together. A
    /// request reserves prompt + max_tokens positions (clamped to the
    /// context) when admitted, so admitted work can never run out of memory.
    public var kvCacheBytes: Int = 1 << 30
    /// How each sequence's cached keys and values are stored. F32 (the
    /// default) is exact: outputs are those transformers computes. F16 (10
    /// mantissa bits) halves the cache and the bytes long-context decode
    /// reads while greedy output stays that of an F32 cache on the test
    /// models and prompts but at one exact tie (top two logits 1e-4 apart),
    /// and overflows past ±65504; BF16 (7 mantissa bits) keeps F32's range
    /// at a coarser rounding that breaks near-ties (margins up to 0.02).
    public var kvFormat: WeightFormat = .f32
    /// Prompt tokens prefilled per step across all sequences. A long prompt is
    /// chunked so running decodes are not stalled for its whole prefill.
    public var maxPrefillTokensPerStep: Int = 128
    /// Context length cap (prompt + generated); nil = max_position_embeddings.
    public var contextLength: Int? = nil
    /// Suggested client back-off when overloaded.
    public var retryAfterSeconds: Int = 1
    /// The engine loop calls its heartbeat at least this often while idle
    /// (the systemd watchdog is fed from it).
    public var idleHeartbeatSeconds: Double = 1

    public init() {}
}
