/// Why the engine refused a request at submission.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// The wait queue is full: retry later (HTTP 503 + Retry-After).
    case overloaded(queued: Int, retryAfterSeconds: Int)
    case emptyPrompt
    case promptTooLong(tokens: Int, contextLength: Int)
    case invalidToken(id: Int, vocabSize: Int)
    case invalidParameter(name: String, reason: String)
    /// Even alone, the request's KV cache would not fit the configured budget.
    case exceedsKVBudget(bytes: Int, budget: Int)
    /// The request combines more distinct adapters than may run in one batch.
    case tooManyAdapters(count: Int, maxLoras: Int)
    case shuttingDown

    public var description: String {
        switch self {
        case let .overloaded(queued, retry):
            return "server overloaded: \(queued) sequences already waiting (each of a request's n choices is one); retry in \(retry) s"
        case .emptyPrompt:
            return "the prompt is empty"
        case let .promptTooLong(tokens, context):
            return tokens > context
                ? "the prompt has \(tokens) tokens, more than this model's context length \(context)"
                : "the prompt has \(tokens) tokens, but this model's context length is \(context): no room to generate"
        case let .invalidToken(id, vocab):
            return "token id \(id) is outside the vocabulary (0..<\(vocab))"
        case let .invalidParameter(name, reason):
            return "invalid '\(name)': \(reason)"
        case let .exceedsKVBudget(bytes, budget):
            return "the request needs \(bytes) bytes of KV cache, more than the configured budget of \(budget) (lower max_tokens)"
        case let .tooManyAdapters(count, maxLoras):
            return "the request combines \(count) adapters, more than the \(maxLoras) this server runs in one batch (max_loras)"
        case .shuttingDown:
            return "the server is shutting down"
        }
    }
}
