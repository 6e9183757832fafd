import OrderedJSON
import Llama

/// The body of `POST /v1/completions` (OpenAI Completions, legacy API).
///
/// Read from strictly parsed JSON (duplicate keys refused) through
/// `JSONNode`, so every refusal names its field and every integer is
/// range-checked before anything computes with it. Accepts what OpenAI
/// accepts for the fields we implement — one prompt or a list of them, `n`
/// samples of each, `echo` (with `logprobs` and `max_tokens` 0 too: scoring
/// a text, as lm-evaluation-harness does), the sampling controls and the
/// penalties and `logit_bias` among them (`GenerationFields`) — and refuses,
/// with the field named, values we do not implement (`best_of` other than
/// `n`, a non-empty `suffix`, and the other fields
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
    /// The prompts, each completed `n` times: choice `p · n + j` is sample
    /// j of prompt p (OpenAI's and vLLM's order).
    public var prompts: [Prompt]
    /// OpenAI's default is 16. Any positive value is accepted; the engine
    /// clamps it to what the context leaves after the prompt (llama.cpp's
    /// server and OpenAI's `max_tokens` semantics: an upper bound, not a demand).
    public var maxTokens: Int
    /// Number of most likely alternatives to report per token; nil = no logprobs.
    public var logprobs: Int?
    /// Samples per prompt (1…8), each its own sequence in the same batch.
    public var n: Int
    /// OpenAI's `echo`: each choice's text starts with its prompt's text and,
    /// with `logprobs`, its logprobs with the prompt tokens' (the first null).
    public var echo: Bool

    /// `stream_options.include_usage`: a streamed response ends with one more
    /// chunk, `choices` empty and `usage` set (OpenAI's and vLLM's shape).
    public var includeUsage: Bool

    /// OpenAI caps `logprobs` at 5; vLLM allows 20.
    public static let maxLogprobs = 20
    /// Most prompts in one request (each is a sequence in the queue `n`
    /// times over; `max_queue` bounds the product as well).
    public static let maxPrompts = 64

    public subscript<T>(dynamicMember path: KeyPath<GenerationFields, T>) -> T { fields[keyPath: path] }

    /// `defaults`: the model's sampling defaults (`GenerationFields`), its
    /// `max_new_tokens` the default `max_tokens` (else 16, OpenAI's and vLLM's).
    public init(json body: JSONNode, defaults: SamplingDefaults = .none) throws {
        fields = try GenerationFields(json: body, defaults: defaults)
        prompts = try Self.prompts(body.required("prompt"))
        maxTokens = try body.int("max_tokens", in: 0...Int.max) ?? defaults.maxNewTokens ?? 16
        logprobs = try body.int("logprobs", in: 0...Self.maxLogprobs)
        includeUsage = try GenerationFields.includeUsage(body, stream: fields.stream)
        n = try body.int("n", in: 1...ChatRequest.maxChoices) ?? 1
        // OpenAI's best_of picks the best n of best_of samples server-side;
        // vLLM's engine no longer does either. Equal to n it asks nothing more.
        if let bestOf = try body.int("best_of"), bestOf != n {
            throw JSONAccessError(path: "best_of", expected: "absent or equal to n (\(n)): best-of selection is not supported",
                                  found: String(bestOf))
        }
        echo = try body.bool("echo") ?? false
        // vLLM: max_tokens 0 only with echo (score the prompt, generate nothing).
        if maxTokens == 0, !echo {
            throw JSONAccessError(path: "max_tokens", expected: "at least 1 (0 only with \"echo\": true)", found: "0")
        }
        try fields.checkMinTokens(maxTokens: maxTokens)
    }

    /// The first (or only) prompt.
    public var prompt: Prompt { prompts[0] }

    /// A string, a list of strings, a list of token ids, or a list of lists
    /// of ids; at most `maxPrompts` prompts.
    static func prompts(_ node: JSONNode) throws -> [Prompt] {
        let expected = "a string, a list of strings, a list of token ids, or a list of lists of token ids"
        switch node.value {
        case .string(let text):
            return [.text(text)]
        case .array(let items):
            if items.isEmpty { return [.tokens([])] }
            let many: [Prompt]
            switch items[0] {
            case .string: many = try node.array().map { .text(try $0.string()) }
            case .array: many = try node.array().map { .tokens(try tokenIDs($0)) }
            default: return [.tokens(try tokenIDs(node))]
            }
            guard many.count <= maxPrompts else { throw node.mismatch("at most \(maxPrompts) prompts (got \(many.count))") }
            return many
        default:
            throw node.mismatch(expected)
        }
    }

    /// Token ids: non-negative integers (the engine checks them against the vocabulary).
    static func tokenIDs(_ node: JSONNode) throws -> [Int] {
        try node.array().map { try $0.int(in: 0...Int(Int32.max)) }
    }
}
