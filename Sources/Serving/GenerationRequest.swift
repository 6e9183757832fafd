import Llama

/// One completion to run: tokens in, sampling and stop rules, adapters.
public struct GenerationRequest: Sendable {
    /// Prompt token ids, BOS included when the tokenizer's post-processor adds it.
    public var promptTokens: [Int]
    /// Which adapters (with weights) this request uses; `.base` for none.
    public var adapters: AdapterSpec
    public var sampling: SamplingParameters
    /// New tokens at most (OpenAI `max_tokens`); 0 reads the prompt (and
    /// scores it, with `promptLogprobs`) and generates nothing.
    public var maxTokens: Int
    /// Stop strings: generation ends before the first occurrence, which is never emitted.
    public var stop: [String]
    /// Token ids that end generation (not emitted); nil = the model's EOS ids.
    public var stopTokenIDs: Set<Int>?
    /// vLLM's `stop_token_ids`: more ids that end generation like EOS, on
    /// top of `stopTokenIDs` (they apply with `ignore_eos` too).
    public var extraStopTokenIDs: Set<Int>
    /// vLLM's `min_tokens`: no stop token can be picked, and no stop string
    /// is looked for, in the first this many generated tokens.
    public var minTokens: Int
    /// vLLM's `include_stop_str_in_output`: a stop string that ends the
    /// text is part of it, and so is the text of a stop token (none for a
    /// special token while `skipSpecialTokens`).
    public var includeStopInOutput: Bool
    /// Report the log-probability of each chosen token and of this many
    /// most likely alternatives (OpenAI `logprobs`); nil = none.
    public var logprobs: Int?
    /// Report each prompt token's log-probability given the tokens before
    /// it, with this many alternatives (a `.prompt` event once the prompt is
    /// read; completions' `echo` with `logprobs`); nil = none.
    public var promptLogprobs: Int?
    /// Drop special tokens from the emitted text (transformers' default for decode in pipelines).
    public var skipSpecialTokens: Bool

    public init(promptTokens: [Int], adapters: AdapterSpec = .base, sampling: SamplingParameters = .greedy,
                maxTokens: Int = 16, stop: [String] = [], stopTokenIDs: Set<Int>? = nil,
                extraStopTokenIDs: Set<Int> = [], minTokens: Int = 0, includeStopInOutput: Bool = false,
                logprobs: Int? = nil, promptLogprobs: Int? = nil, skipSpecialTokens: Bool = true) {
        self.promptTokens = promptTokens
        self.adapters = adapters
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.stopTokenIDs = stopTokenIDs
        self.extraStopTokenIDs = extraStopTokenIDs
        self.minTokens = minTokens
        self.includeStopInOutput = includeStopInOutput
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
        self.skipSpecialTokens = skipSpecialTokens
    }
}
