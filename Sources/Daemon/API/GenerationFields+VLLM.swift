import OrderedJSON
import Llama

// Reading vLLM's extra sampling and stopping fields, with vLLM's ranges
// (its `SamplingParams` and the OpenAI-compatible server's request models).
// A wrong type or range is a 400 naming the field.
extension GenerationFields {
    /// Most `stop_token_ids` one request may carry (vLLM documents no bound).
    public static let maxStopTokenIDs = 1024

    /// A list of token ids (non-negative integers up to Int32.max, as in a
    /// prompt) of at most `most` entries; absent or null is nil. Whether
    /// they are in the vocabulary is for the engine to say.
    static func tokenIDSet(_ node: JSONNode?, most: Int) throws -> Set<Int>? {
        guard let node else { return nil }
        let count = try node.array().count
        guard count <= most else { throw node.mismatch("a list of at most \(most) token ids (got \(count))") }
        return Set(try CompletionRequest.tokenIDs(node))
    }

    /// `min_tokens` against the request's `max_tokens`: vLLM refuses a
    /// minimum above the maximum, since it could never be met.
    /// - Parameter field: the member the maximum came from (`max_tokens`, `max_completion_tokens`).
    func checkMinTokens(maxTokens: Int?, field: String = "max_tokens") throws {
        if let maxTokens, minTokens > maxTokens {
            throw JSONAccessError(path: "min_tokens", expected: "at most \(field) (\(maxTokens))", found: String(minTokens))
        }
    }

    /// `stream_options.include_usage`. OpenAI and vLLM take stream_options
    /// only with `"stream": true`; vLLM's `continuous_usage_stats` (usage on
    /// every chunk) is not implemented, so asking for it is refused.
    static func includeUsage(_ body: JSONNode, stream: Bool) throws -> Bool {
        guard let options = body.optional("stream_options") else { return false }
        guard stream else { throw options.mismatch("absent or null unless \"stream\" is true") }
        if try options.bool("continuous_usage_stats") == true {
            throw JSONAccessError(path: options.path(of: "continuous_usage_stats"),
                                  expected: "false (usage on every chunk is not supported)", found: "true")
        }
        return try options.bool("include_usage") ?? false
    }

    /// `prompt` cut to its last `truncate_prompt_tokens` tokens (vLLM's left
    /// truncation; -1 = the model's context length), or as it is. More than
    /// the context could hold is refused, as vLLM refuses it.
    func truncated(_ prompt: [Int], contextLength: Int) throws -> [Int] {
        guard let keep = truncatePromptTokens else { return prompt }
        guard keep <= contextLength else {
            throw APIError.badRequest("truncate_prompt_tokens (\(keep)) is more than the model's context length (\(contextLength))")
        }
        return Array(prompt.suffix(keep == -1 ? contextLength : keep))
    }
}
