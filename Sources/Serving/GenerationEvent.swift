/// What a running request hears from the engine, in order: with
/// `GenerationRequest.promptLogprobs`, one `.prompt` once the prompt is
/// read; zero or more `.token`; then exactly one `.finished`.
///
/// Events are delivered on the engine thread: a consumer must hand them off
/// (e.g. to a socket's queue) and return at once.
public enum GenerationEvent: Sendable {
    /// The log-probability of each prompt token after the first, given the
    /// tokens before it (entry i is prompt token i + 1).
    case prompt([PromptTokenLogprob])
    case token(GeneratedToken)
    case finished(GenerationResult)
}

/// The model's log-probability of one prompt token given the tokens before
/// it, with the most likely alternatives at that position.
public struct PromptTokenLogprob: Sendable {
    public let id: Int
    /// log p(id), under the unmodified model distribution.
    public let logprob: Float
    /// 1 + the number of tokens the model found more likely there (vLLM's `rank`).
    public let rank: Int
    /// The most likely alternatives (id, log p), when asked for.
    public let topLogprobs: [(id: Int, logprob: Float)]
}

/// One sampled token and the text it released.
public struct GeneratedToken: Sendable {
    public let id: Int
    /// Text safe to show now. May be empty (half a UTF-8 character, or a
    /// possible start of a stop string, is held back) and may include text
    /// held back from earlier tokens.
    public let text: String
    /// log p(id) under the unmodified model distribution, when requested.
    public let logprob: Float?
    /// The most likely alternatives (id, log p), when requested.
    public let topLogprobs: [(id: Int, logprob: Float)]
}

public enum FinishReason: String, Sendable {
    /// EOS or a stop string (OpenAI "stop").
    case stop
    /// max_tokens or the context limit (OpenAI "length").
    case length
    /// The client went away or the request was cancelled.
    case cancelled
    /// The engine could not run it (the message is in `GenerationResult.error`).
    case error
}

public struct GenerationResult: Sendable {
    public let finishReason: FinishReason
    /// The prompt's length in tokens.
    public let promptTokens: Int
    /// Prompt tokens the model has read: all of them once the sequence ran,
    /// fewer when it ended during its prefill, 0 when it never left the queue.
    public let promptTokensRead: Int
    public let completionTokens: Int
    /// The whole emitted text (stop strings excluded).
    public let text: String
    public let tokenIDs: [Int]
    /// Seconds from submission to the first generated token.
    public let timeToFirstToken: Double?
    /// Seconds from submission to the end.
    public let totalSeconds: Double
    public let error: GenerationFailure?
}
