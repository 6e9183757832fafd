import OrderedJSON

/// The body of `POST /v1/completions` (OpenAI Completions, legacy API).
///
/// Read from strictly parsed JSON (duplicate keys refused) through
/// `JSONNode`, so every refusal names its field and every integer is
/// range-checked before anything computes with it. Accepts what OpenAI
/// accepts for the fields we implement — the sampling controls and the
/// penalties and `logit_bias` among them (`GenerationFields`) — and refuses,
/// with the field named, values we do not implement (`n` ≠ 1, `echo: true`,
/// several prompts, a non-empty `suffix`, and the other fields
/// `GenerationFields+Unsupported.swift` lists). Unknown fields are ignored,
/// as OpenAI clients send extras (`user`).
///
/// `logprobs` reports the model's raw log-probabilities, before
/// `logit_bias`, the penalties and temperature (vLLM's default).
@dynamicMemberLookup
public struct CompletionRequest: Sendable {
    /// The prompt as text or as token ids.
    public enum Prompt: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    /// The members shared with chat completions (`request.temperature` reads through).
    public var fields: GenerationFields
    public var prompt: Prompt
    /// OpenAI's default is 16. Any positive value is accepted; the engine
    /// clamps it to what the context leaves after the prompt (llama.cpp's
    /// server and OpenAI's `max_tokens` semantics: an upper bound, not a demand).
    public var maxTokens: Int
    /// Number of most likely alternatives to report per token; nil = no logprobs.
    public var logprobs: Int?

    /// `stream_options.include_usage`: a streamed response ends with one more
    /// chunk, `choices` empty and `usage` set (OpenAI's and vLLM's shape).
    public var includeUsage: Bool

    /// OpenAI caps `logprobs` at 5; vLLM allows 20.
    public static let maxLogprobs = 20

    public subscript<T>(dynamicMember path: KeyPath<GenerationFields, T>) -> T { fields[keyPath: path] }

    public init(json body: JSONNode) throws {
        fields = try GenerationFields(json: body)
        prompt = try Self.prompt(body.required("prompt"))
        maxTokens = try body.int("max_tokens", in: 1...Int.max) ?? 16
        logprobs = try body.int("logprobs", in: 0...Self.maxLogprobs)
        includeUsage = try body.optional("stream_options")?.bool("include_usage") ?? false
        if let n = try body.int("n"), n != 1 { throw JSONAccessError(path: "n", expected: "1 (only n = 1 is supported)", found: String(n)) }
        if let n = try body.int("best_of"), n != 1 {
            throw JSONAccessError(path: "best_of", expected: "1 (only best_of = 1 is supported)", found: String(n))
        }
        if try body.bool("echo") == true { throw JSONAccessError(path: "echo", expected: "false (echo is not supported)", found: "true") }
        try fields.checkMinTokens(maxTokens: maxTokens)
    }

    /// A string, a list of one string, a list of token ids, or a list of one list of ids.
    static func prompt(_ node: JSONNode) throws -> Prompt {
        let expected = "a string, a list of one string, or a list of token ids"
        switch node.value {
        case .string(let text):
            return .text(text)
        case .array(let items):
            if items.isEmpty { return .tokens([]) }
            if case .string = items[0] {
                guard items.count == 1 else { throw node.mismatch("exactly one prompt (got \(items.count))") }
                return .text(try node.array()[0].string())
            }
            if case .array = items[0] {
                guard items.count == 1 else { throw node.mismatch("exactly one prompt (got \(items.count))") }
                return .tokens(try tokenIDs(node.array()[0]))
            }
            return .tokens(try tokenIDs(node))
        default:
            throw node.mismatch(expected)
        }
    }

    /// Token ids: non-negative integers (the engine checks them against the vocabulary).
    static func tokenIDs(_ node: JSONNode) throws -> [Int] {
        try node.array().map { try $0.int(in: 0...Int(Int32.max)) }
    }
}
