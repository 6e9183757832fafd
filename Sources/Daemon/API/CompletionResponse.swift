/// The body of a non-streamed completion, and (with `usage` nil) of each
/// streamed chunk: OpenAI's `text_completion` object.
public struct CompletionResponse: Codable, Sendable, Equatable {
    public struct Choice: Codable, Sendable, Equatable {
        public var text: String
        public var index: Int
        /// Encoded as `null` when not requested, as OpenAI does.
        public var logprobs: CompletionLogprobs?
        /// "stop" or "length"; `null` on intermediate stream chunks.
        public var finish_reason: String?
        /// vLLM's `prompt_logprobs`, only when asked for (absent otherwise).
        var prompt_logprobs: PromptLogprobsEntry.List?

        public init(text: String, index: Int = 0, logprobs: CompletionLogprobs?, finish_reason: String?) {
            self.text = text
            self.index = index
            self.logprobs = logprobs
            self.finish_reason = finish_reason
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(index, forKey: .index)
            try c.encode(logprobs, forKey: .logprobs)           // explicit null
            try c.encode(finish_reason, forKey: .finish_reason) // explicit null
            try c.encodeIfPresent(prompt_logprobs, forKey: .prompt_logprobs)
        }
    }

    public struct Usage: Codable, Sendable, Equatable {
        public var prompt_tokens: Int
        public var completion_tokens: Int
        public var total_tokens: Int

        public init(prompt: Int, completion: Int) {
            prompt_tokens = prompt
            completion_tokens = completion
            total_tokens = prompt + completion
        }
    }

    public var id: String
    public var object: String = "text_completion"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: Usage?) {
        self.id = id
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }
}
