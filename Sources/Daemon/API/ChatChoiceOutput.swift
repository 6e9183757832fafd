import OrderedJSON
import Serving
import Tokenization

/// One chat choice's answer as it builds up: the content released so far,
/// the tool calls read out of the output (when a format applies), and the
/// logprobs entries not yet sent. The streamed and the whole response both
/// go through it, so they agree.
struct ChatChoiceOutput {
    private var parser: ToolCallStream?
    private(set) var content = ""
    private(set) var toolCalls: [JSONValue] = []
    /// Logprob entries gathered since the last `takeLogprobs()`.
    private var pendingLogprobs: [JSONValue] = []
    private(set) var allLogprobs: [JSONValue] = []
    let reportsLogprobs: Bool

    init(format: ToolCallFormat?, logprobs: Bool) {
        parser = format.map(ToolCallStream.init)
        reportsLogprobs = logprobs
    }

    /// What a generated token releases: content text and completed calls (as delta members).
    mutating func take(_ token: GeneratedToken, tokenizer: Tokenizer) -> [JSONValue.Members] {
        if reportsLogprobs, token.id >= 0, let logprob = token.logprob {
            func score(_ id: Int, _ logprob: Float) -> ChatCompletionBody.TokenScore {
                .init(token: tokenizer.decode([id]), bytes: tokenizer.bytes(forId: id), logprob: logprob)
            }
            let entry = ChatCompletionBody.logprobEntry(score(token.id, logprob), top: token.topLogprobs.map { score($0.id, $0.logprob) })
            pendingLogprobs.append(entry)
            allLogprobs.append(entry)
        }
        guard var parser else { return release([.content(token.text)]) }
        let outputs = parser.feed(token.text)
        self.parser = parser
        return release(outputs)
    }

    /// The end of the output: whatever the tool-call reader still held.
    mutating func finish() -> [JSONValue.Members] {
        guard var parser else { return [] }
        let outputs = parser.finish()
        self.parser = parser
        return release(outputs)
    }

    /// Logprob entries not yet attached to a chunk (nil when not requested).
    mutating func takeLogprobs() -> [JSONValue]? {
        guard reportsLogprobs else { return nil }
        defer { pendingLogprobs = [] }
        return pendingLogprobs
    }

    /// The finish reason: `tool_calls` when the output held calls.
    func finishReason(_ result: GenerationResult) -> String? {
        toolCalls.isEmpty ? InferenceContext.finishReason(result) : "tool_calls"
    }

    /// The whole message: content (null when the output was only calls) and calls.
    var message: JSONValue {
        let onlyCalls = !toolCalls.isEmpty && content.allSatisfy(\.isWhitespace)
        return ChatCompletionBody.message(content: onlyCalls ? nil : content, toolCalls: toolCalls)
    }

    private mutating func release(_ outputs: [ToolCallStream.Output]) -> [JSONValue.Members] {
        var deltas: [JSONValue.Members] = []
        for output in outputs {
            switch output {
            case .content(let text):
                guard !text.isEmpty else { continue }
                content += text
                deltas.append([("content", .string(text))])
            case .call(let call):
                let id = ChatCompletionBody.toolCallID()
                toolCalls.append(ChatCompletionBody.toolCall(call, id: id))
                deltas.append([("tool_calls", .array([ChatCompletionBody.toolCall(call, id: id, index: toolCalls.count - 1)]))])
            }
        }
        return deltas
    }
}
