import Llama

/// One completion to run: tokens in, sampling and stop rules, adapters.
public struct GenerationRequest: Sendable {
    /// Prompt token ids, BOS included when the tokenizer's post-processor adds it.
    public var promptTokens: [Int]
    /// Which adapters (with weights) this request uses; `.base` for none.
    public var adapters: AdapterSpec
    public var sampling: SamplingParameters
    /// New tokens at most (OpenAI `max_tokens`).
    public var maxTokens: Int
    /// Stop strings: generation ends before the first occurrence, which is never emitted.
    public var stop: [String]
    /// Token ids that end generation (not emitted); nil = the model's EOS ids.
    public var stopTokenIDs: Set<Int>?
    /// Report the log-probability of each chosen token and of this many
    /// most likely alternatives (OpenAI `logprobs`); nil = none.
    public var logprobs: Int?
    /// Drop special tokens from the emitted text (transformers' default for decode in pipelines).
    public var skipSpecialTokens: Bool

    public init(promptTokens: [Int], adapters: AdapterSpec = .base, sampling: SamplingParameters = .greedy,
                maxTokens: Int = 16, stop: [String] = [], stopTokenIDs: Set<Int>? = nil,
                logprobs: Int? = nil, skipSpecialTokens: Bool = true) {
        self.promptTokens = promptTokens
        self.adapters = adapters
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.stopTokenIDs = stopTokenIDs
        self.logprobs = logprobs
        self.skipSpecialTokens = skipSpecialTokens
    }
}
