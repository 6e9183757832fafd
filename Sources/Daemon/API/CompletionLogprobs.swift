/// OpenAI's legacy Completions `logprobs` object: parallel lists, one entry
/// per generated token.
public struct CompletionLogprobs: Codable, Sendable, Equatable {
    /// Each token's own text (its decoding alone).
    public var tokens: [String] = []
    public var token_logprobs: [Float] = []
    /// Per token, the most likely alternatives as {token text: logprob}.
    public var top_logprobs: [[String: Float]] = []
    /// Where each token's text starts in the completion text, in characters
    /// (Unicode scalars, as Python counts them).
    public var text_offset: [Int] = []

    public init() {}

    public var isEmpty: Bool { tokens.isEmpty }
}
