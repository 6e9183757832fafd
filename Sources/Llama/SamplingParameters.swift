/// How to pick the next token from logits (OpenAI / transformers names).
public struct SamplingParameters: Sendable, Equatable {
    /// 0 (or less) = greedy (argmax); otherwise logits are divided by it.
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 = off.
    public var topK: Int
    /// Nucleus: keep the smallest most-likely set whose probability ≥ topP; 1 = off.
    public var topP: Float
    /// vLLM's `min_p`: drop every token whose probability (after
    /// temperature) is below minP × the most likely token's; 0 = off.
    public var minP: Float
    /// Seed of the sampling RNG; nil = a random seed.
    public var seed: UInt64?
    /// OpenAI's `presence_penalty`: subtracted once from the logit of every
    /// token this sequence has generated; 0 = off.
    public var presencePenalty: Float
    /// OpenAI's `frequency_penalty`: subtracted from a token's logit once per
    /// time this sequence has generated it; 0 = off.
    public var frequencyPenalty: Float
    /// vLLM's / transformers' `repetition_penalty`: the logit of every token
    /// of the prompt or the output is divided by it when positive, multiplied
    /// when not; 1 = off.
    public var repetitionPenalty: Float
    /// OpenAI's `logit_bias`: token id → value added to its logit.
    public var logitBias: [Int: Float]
    /// vLLM's `allowed_token_ids`: only these tokens may be picked (every
    /// other logit is -inf before anything else runs); nil = every token.
    public var allowedTokenIDs: Set<Int>?

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64? = nil,
                presencePenalty: Float = 0, frequencyPenalty: Float = 0, repetitionPenalty: Float = 1,
                logitBias: [Int: Float] = [:], allowedTokenIDs: Set<Int>? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.repetitionPenalty = repetitionPenalty
        self.logitBias = logitBias
        self.allowedTokenIDs = allowedTokenIDs
    }

    /// temperature 0: always the argmax.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Whether these parameters always pick the argmax (of the adjusted logits).
    public var isGreedy: Bool { temperature <= 0 || topK == 1 }

    /// OpenAI's range for `presence_penalty` and `frequency_penalty` (vLLM's too).
    public static let penaltyRange: ClosedRange<Float> = -2...2
    /// `repetition_penalty` must be > 0 (vLLM); values of 1–2 are what is
    /// used. The cap keeps logit × penalty a meaningful finite number rather
    /// than an overflow to -inf, and is far above any useful value.
    public static let maxRepetitionPenalty: Float = 100
    /// OpenAI's range for a `logit_bias` value: -100 bans a token, +100 forces it.
    public static let logitBiasRange: ClosedRange<Float> = -100...100
    /// Most `logit_bias` entries one request may carry. OpenAI documents no
    /// count; the bound keeps the per-step cost (one addition per entry) and
    /// the request's footprint small.
    public static let maxLogitBiasEntries = 1024
    /// Most `allowed_token_ids` one request may carry (vLLM documents no
    /// bound; this one is far above any constrained choice and keeps the
    /// request's footprint small).
    public static let maxAllowedTokenIDs = 65_536
}
