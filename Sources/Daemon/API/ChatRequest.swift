import OrderedJSON
import Llama

/// The body of `POST /v1/chat/completions` (OpenAI Chat Completions).
///
/// Shares `GenerationFields` with completions (sampling, the penalties and
/// `logit_bias`, `ignore_eos`); adds the conversation and
/// what shapes its rendering (`tools`, `chat_template_kwargs`,
/// `add_generation_prompt`, `continue_final_message`, vLLM's extensions)
/// and what shapes the answer (`n`, `logprobs` + `top_logprobs`,
/// `stream_options.include_usage`). What is not implemented is refused
/// naming the member (`response_format` other than text, `tool_choice`
/// `required` or a named function, and the fields
/// `GenerationFields+Unsupported.swift` lists); unknown members are ignored.
///
/// `logprobs` are the model's raw log-probabilities, before `logit_bias`,
/// the penalties and temperature (vLLM's default `raw_logprobs`). Each of
/// the `n` choices counts its own output for the penalties.
@dynamicMemberLookup
public struct ChatRequest: Sendable {
    public enum ToolChoice: Sendable, Equatable {
        /// The model may answer or call tools; calls in the output are returned as `tool_calls`.
        case auto
        /// Tools are still shown to the template, but the output is never read as calls.
        case none
    }

    public var fields: GenerationFields
    /// The conversation and what shapes its rendering.
    var prompt: ChatPrompt
    public var toolChoice: ToolChoice
    /// `max_completion_tokens`, else `max_tokens`; nil = as many as the context leaves.
    public var maxTokens: Int?
    /// Choices to generate (1…8), each its own sequence in the same batch.
    public var n: Int
    /// Report each token's log-probability, with this many alternatives; nil = no logprobs.
    public var topLogprobs: Int?
    public var includeUsage: Bool

    public static let maxChoices = 8
    public static let maxTopLogprobs = 20

    public subscript<T>(dynamicMember path: KeyPath<GenerationFields, T>) -> T { fields[keyPath: path] }

    /// `defaults`: the model's sampling defaults (`GenerationFields`), its
    /// `max_new_tokens` the default `max_tokens` (else what the context leaves).
    public init(json body: JSONNode, defaults: SamplingDefaults = .none) throws {
        fields = try GenerationFields(json: body, defaults: defaults)
        prompt = try ChatPrompt(json: body, addGenerationPromptByDefault: true)
        toolChoice = try Self.toolChoice(body.optional("tool_choice"))
        maxTokens = try body.int("max_completion_tokens", in: 1...Int.max) ?? body.int("max_tokens", in: 1...Int.max)
            ?? defaults.maxNewTokens
        n = try body.int("n", in: 1...Self.maxChoices) ?? 1
        let logprobs = try body.bool("logprobs") ?? false
        let top = try body.int("top_logprobs", in: 0...Self.maxTopLogprobs)
        if let top, top > 0, !logprobs {
            throw JSONAccessError(path: "top_logprobs", expected: "used only with \"logprobs\": true", found: String(top))
        }
        topLogprobs = logprobs ? (top ?? 0) : nil
        includeUsage = try GenerationFields.includeUsage(body, stream: fields.stream)
        // As completions: best-of selection is not done, so only best_of = n asks nothing more.
        if let bestOf = try body.int("best_of"), bestOf != n {
            throw JSONAccessError(path: "best_of", expected: "absent or equal to n (\(n)): best-of selection is not supported",
                                  found: String(bestOf))
        }
        if try body.bool("echo") == true { throw JSONAccessError(path: "echo", expected: "false (echo is not supported)", found: "true") }
        try fields.checkMinTokens(maxTokens: maxTokens,
                                  field: body.optional("max_completion_tokens") != nil ? "max_completion_tokens" : "max_tokens")
    }

    /// `"auto"`, `"none"`, or absent (auto). `"required"` and a named
    /// function would need constrained decoding.
    static func toolChoice(_ node: JSONNode?) throws -> ToolChoice {
        guard let node else { return .auto }
        if case .string(let s) = node.value {
            if s == "auto" { return .auto }
            if s == "none" { return .none }
        }
        throw node.mismatch("\"auto\" or \"none\" (required and named tool choices are not supported)")
    }
}
