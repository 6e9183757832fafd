/// OpenAI's legacy Completions `logprobs` object: parallel lists, one entry
/// per token — the echoed prompt's, then the generated ones.
public struct CompletionLogprobs: Codable, Sendable, Equatable {
    /// Each token's own text (its decoding alone).
    public var tokens: [String] = []
    /// null for an echoed prompt's first token (nothing comes before it).
    public var token_logprobs: [Float?] = []
    /// Per token, the most likely alternatives as {token text: logprob}
    /// (null where `token_logprobs` is).
    public var top_logprobs: [[String: Float]?] = []
    /// Where each token's text starts in the completion text, in characters
    /// (Unicode scalars, as Python counts them).
    public var text_offset: [Int] = []

    public init() {}

    public var isEmpty: Bool { tokens.isEmpty }
}
