import OrderedJSON

/// OpenAI's chat completion objects as JSON, members in OpenAI's order and
/// with its explicit nulls: `chat.completion` (whole) and
/// `chat.completion.chunk` (streamed), their choices, messages, deltas,
/// tool calls and `logprobs.content` entries.
enum ChatCompletionBody {
    struct Meta {
        let id: String
        let created: Int
        let model: String
    }

    /// - Parameter promptLogprobs: vLLM's top-level `prompt_logprobs`, only when asked for.
    static func completion(_ meta: Meta, choices: [JSONValue], usage: JSONValue, promptLogprobs: JSONValue? = nil) -> JSONValue {
        var members: JSONValue.Members = [
            ("id", .string(meta.id)), ("object", .string("chat.completion")), ("created", .integer(meta.created)),
            ("model", .string(meta.model)), ("choices", .array(choices)), ("usage", usage),
        ]
        if let promptLogprobs { members.append(("prompt_logprobs", promptLogprobs)) }
        return .object(members)
    }

    /// One streamed chunk; `usage` is present only when the client asked
    /// for it (`null` on every chunk but the last, as OpenAI sends it).
    static func chunk(_ meta: Meta, choices: [JSONValue], usage: JSONValue?) -> JSONValue {
        var members: JSONValue.Members = [
            ("id", .string(meta.id)), ("object", .string("chat.completion.chunk")), ("created", .integer(meta.created)),
            ("model", .string(meta.model)), ("choices", .array(choices)),
        ]
        if let usage { members.append(("usage", usage)) }
        return .object(members)
    }

    static func usage(prompt: Int, completion: Int) -> JSONValue {
        .object([("prompt_tokens", .integer(prompt)), ("completion_tokens", .integer(completion)),
                 ("total_tokens", .integer(prompt + completion))])
    }

    /// A choice of a whole completion.
    static func choice(index: Int, message: JSONValue, logprobs: [JSONValue]?, finishReason: String?) -> JSONValue {
        .object([("index", .integer(index)), ("message", message), ("logprobs", logprobsObject(logprobs)),
                 ("finish_reason", finishReason.map(JSONValue.string) ?? .null)])
    }

    /// A choice of a chunk: what changed (`delta`).
    static func deltaChoice(index: Int, delta: JSONValue.Members, logprobs: [JSONValue]?, finishReason: String?) -> JSONValue {
        .object([("index", .integer(index)), ("delta", .object(delta)), ("logprobs", logprobsObject(logprobs)),
                 ("finish_reason", finishReason.map(JSONValue.string) ?? .null)])
    }

    static func message(content: String?, toolCalls: [JSONValue]) -> JSONValue {
        var members: JSONValue.Members = [("role", .string("assistant")), ("content", content.map(JSONValue.string) ?? .null),
                                          ("refusal", .null)]
        if !toolCalls.isEmpty { members.append(("tool_calls", .array(toolCalls))) }
        return .object(members)
    }

    /// `{"id", "type": "function", "function": {"name", "arguments"}}`; in a
    /// chunk's delta also `index` (its position among the choice's calls).
    static func toolCall(_ call: ParsedToolCall, id: String, index: Int? = nil) -> JSONValue {
        var members: JSONValue.Members = []
        if let index { members.append(("index", .integer(index))) }
        members += [("id", .string(id)), ("type", .string("function")),
                    ("function", .object([("name", .string(call.name)), ("arguments", .string(call.arguments))]))]
        return .object(members)
    }

    static func logprobsObject(_ entries: [JSONValue]?) -> JSONValue {
        guard let entries else { return .null }
        return .object([("content", .array(entries)), ("refusal", .null)])
    }

    /// One token of a `logprobs.content` entry: its text, the bytes it
    /// stands for (`Tokenizer.bytes(forId:)`: a token holding part of a
    /// character shows as U+FFFD, and its bytes are the real ones, so joined
    /// they give the text back — vLLM sends the U+FFFD's UTF-8 instead), and
    /// its log-probability.
    struct TokenScore {
        var token: String
        var bytes: [UInt8]
        var logprob: Float
    }

    /// One `logprobs.content` entry: the chosen token and the alternatives in the same shape.
    static func logprobEntry(_ chosen: TokenScore, top: [TokenScore]) -> JSONValue {
        var members = tokenLogprob(chosen)
        members.append(("top_logprobs", .array(top.map { .object(tokenLogprob($0)) })))
        return .object(members)
    }

    /// A log-probability of -inf (a token outside top-k/top-p) is sent as
    /// -9999.0, as OpenAI and vLLM do: JSON has no infinity.
    private static func tokenLogprob(_ score: TokenScore) -> JSONValue.Members {
        [("token", .string(score.token)), ("logprob", .float(Double(max(score.logprob, -9999)))),
         ("bytes", .array(score.bytes.map { .integer(Int($0)) }))]
    }

    static func toolCallID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var g = SystemRandomNumberGenerator()
        return "call_" + String((0..<24).map { _ in alphabet[Int(g.next(upperBound: UInt(alphabet.count)))] })
    }
}
