/// How to pick the next token from logits (OpenAI / transformers names).
public struct SamplingParameters: Sendable, Equatable {
    /// 0 (or less) = greedy (argmax); otherwise logits are divided by it.
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 = off.
    public var topK: Int
    /// Nucleus: keep the smallest most-likely set whose probability ≥ topP; 1 = off.
    public var topP: Float
    /// Seed of the sampling RNG; nil = a random seed.
    public var seed: UInt64?

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// temperature 0: always the argmax.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Whether these parameters always pick the argmax.
    public var isGreedy: Bool { temperature <= 0 || topK == 1 }
}
