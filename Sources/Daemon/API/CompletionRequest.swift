import Foundation

/// The body of `POST /v1/completions` (OpenAI Completions, legacy API).
///
/// Decoding accepts what OpenAI accepts for the fields we implement and
/// refuses, with the field named, values we do not implement (`n` ≠ 1,
/// `echo: true`, several prompts). Unknown fields are ignored, as OpenAI
/// clients send extras (`user`, penalties at their defaults).
public struct CompletionRequest: Decodable, Sendable {
    /// The prompt as text or as token ids.
    public enum Prompt: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    public var model: String?
    public var adapter: String?
    public var prompt: Prompt
    /// OpenAI's default is 16.
    public var maxTokens: Int
    /// OpenAI's default is 1; 0 = greedy.
    public var temperature: Double
    public var topP: Double
    /// 0 or absent = off (vLLM's `top_k`; -1 also means off there).
    public var topK: Int
    public var seed: UInt64?
    public var stop: [String]
    public var stream: Bool
    /// Number of most likely alternatives to report per token; nil = no logprobs.
    public var logprobs: Int?

    enum CodingKeys: String, CodingKey {
        case model, adapter, prompt, max_tokens, temperature, top_p, top_k, seed, stop, stream, logprobs, n, echo, best_of
    }

    /// Most stop strings (OpenAI allows 4; more is harmless, but bounded).
    public static let maxStopStrings = 16
    /// OpenAI caps `logprobs` at 5; vLLM allows 20.
    public static let maxLogprobs = 20

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        adapter = try c.decodeIfPresent(String.self, forKey: .adapter)
        prompt = try Self.decodePrompt(c)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .max_tokens) ?? 16
        guard maxTokens >= 1 else { throw Self.invalid(.max_tokens, c, "must be at least 1") }
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? 1
        guard temperature.isFinite, (0...100).contains(temperature) else {
            throw Self.invalid(.temperature, c, "must be a number in 0...100 (0 = greedy)")
        }
        topP = try c.decodeIfPresent(Double.self, forKey: .top_p) ?? 1
        guard topP.isFinite, topP > 0, topP <= 1 else { throw Self.invalid(.top_p, c, "must be in (0, 1]") }
        let k = try c.decodeIfPresent(Int.self, forKey: .top_k) ?? 0
        guard k >= -1 else { throw Self.invalid(.top_k, c, "must be ≥ 0 (0 or -1 = off)") }
        topK = max(0, k)
        if let s = try c.decodeIfPresent(Int64.self, forKey: .seed) {
            seed = UInt64(bitPattern: s)
        } else {
            seed = nil
        }
        if let one = try? c.decodeIfPresent(String.self, forKey: .stop) {
            stop = [one]
        } else {
            stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? []
        }
        guard stop.count <= Self.maxStopStrings else {
            throw Self.invalid(.stop, c, "at most \(Self.maxStopStrings) stop strings")
        }
        guard !stop.contains(where: \.isEmpty) else { throw Self.invalid(.stop, c, "stop strings must not be empty") }
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        if let l = logprobs, !(0...Self.maxLogprobs).contains(l) {
            throw Self.invalid(.logprobs, c, "must be in 0...\(Self.maxLogprobs)")
        }
        if let n = try c.decodeIfPresent(Int.self, forKey: .n), n != 1 {
            throw Self.invalid(.n, c, "only n = 1 is supported")
        }
        if let n = try c.decodeIfPresent(Int.self, forKey: .best_of), n != 1 {
            throw Self.invalid(.best_of, c, "only best_of = 1 is supported")
        }
        if try c.decodeIfPresent(Bool.self, forKey: .echo) == true {
            throw Self.invalid(.echo, c, "echo = true is not supported")
        }
    }

    /// A string, a list of one string, a list of token ids, or a list of one list of ids.
    private static func decodePrompt(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Prompt {
        guard c.contains(.prompt) else {
            throw DecodingError.keyNotFound(CodingKeys.prompt, .init(codingPath: c.codingPath, debugDescription: "prompt is required"))
        }
        if let text = try? c.decode(String.self, forKey: .prompt) { return .text(text) }
        if let ids = try? c.decode([Int].self, forKey: .prompt) { return .tokens(ids) }
        if let texts = try? c.decode([String].self, forKey: .prompt) {
            guard texts.count == 1 else { throw invalid(.prompt, c, "exactly one prompt is supported (got \(texts.count))") }
            return .text(texts[0])
        }
        if let lists = try? c.decode([[Int]].self, forKey: .prompt) {
            guard lists.count == 1 else { throw invalid(.prompt, c, "exactly one prompt is supported (got \(lists.count))") }
            return .tokens(lists[0])
        }
        throw invalid(.prompt, c, "must be a string, a list of one string, or a list of token ids")
    }

    private static func invalid(_ key: CodingKeys, _ c: KeyedDecodingContainer<CodingKeys>, _ reason: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: "`\(key.stringValue)` \(reason)"))
    }
}
