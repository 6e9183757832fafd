import OrderedJSON

/// The body of `POST /v1/completions` (OpenAI Completions, legacy API).
///
/// Read from strictly parsed JSON (duplicate keys refused) through
/// `JSONNode`, so every refusal names its field and every integer is
/// range-checked before anything computes with it. Accepts what OpenAI
/// accepts for the fields we implement and refuses, with the field named,
/// values we do not implement (`n` ≠ 1, `echo: true`, several prompts).
/// Unknown fields are ignored, as OpenAI clients send extras (`user`,
/// penalties at their defaults).
public struct CompletionRequest: Sendable {
    /// The prompt as text or as token ids.
    public enum Prompt: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    public var model: String?
    public var adapter: String?
    public var prompt: Prompt
    /// OpenAI's default is 16. Any positive value is accepted; the engine
    /// clamps it to what the context leaves after the prompt (llama.cpp's
    /// server and OpenAI's `max_tokens` semantics: an upper bound, not a demand).
    public var maxTokens: Int
    /// OpenAI's default is 1; 0 = greedy.
    public var temperature: Double
    public var topP: Double
    /// 0 = off (vLLM's `top_k`; -1 also means off there).
    public var topK: Int
    public var seed: UInt64?
    public var stop: [String]
    public var stream: Bool
    /// Number of most likely alternatives to report per token; nil = no logprobs.
    public var logprobs: Int?

    /// Most stop strings (OpenAI allows 4; more is harmless, but bounded).
    public static let maxStopStrings = 16
    /// OpenAI caps `logprobs` at 5; vLLM allows 20.
    public static let maxLogprobs = 20
    /// vLLM's `seed` range (a torch.long): -2^63 … 2^63 − 1.
    public static let seedRange = Int.min...Int.max

    public init(json body: JSONNode) throws {
        guard case .object = body.value else { throw body.mismatch("a JSON object") }
        model = try body.string("model")
        adapter = try body.string("adapter")
        prompt = try Self.prompt(body.required("prompt"))
        maxTokens = try body.int("max_tokens", in: 1...Int.max) ?? 16
        temperature = try body.double("temperature", in: 0...100) ?? 1
        topP = try body.double("top_p", in: 0...1) ?? 1
        guard topP > 0 else { throw JSONAccessError(path: "top_p", expected: "a number in (0, 1]", found: "0") }
        topK = max(0, try body.int("top_k", in: -1...Int.max) ?? 0)
        seed = try body.int("seed", in: Self.seedRange).map { UInt64(bitPattern: Int64($0)) }
        stop = try Self.stop(body.optional("stop"))
        stream = try body.bool("stream") ?? false
        logprobs = try body.int("logprobs", in: 0...Self.maxLogprobs)
        if let n = try body.int("n"), n != 1 { throw JSONAccessError(path: "n", expected: "1 (only n = 1 is supported)", found: String(n)) }
        if let n = try body.int("best_of"), n != 1 {
            throw JSONAccessError(path: "best_of", expected: "1 (only best_of = 1 is supported)", found: String(n))
        }
        if try body.bool("echo") == true { throw JSONAccessError(path: "echo", expected: "false (echo is not supported)", found: "true") }
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

    static func stop(_ node: JSONNode?) throws -> [String] {
        guard let node else { return [] }
        let stop: [String]
        if case .string(let one) = node.value { stop = [one] } else { stop = try node.array().map { try $0.string() } }
        guard stop.count <= maxStopStrings else { throw node.mismatch("at most \(maxStopStrings) stop strings") }
        guard !stop.contains(where: \.isEmpty) else { throw node.mismatch("non-empty stop strings") }
        return stop
    }
}
