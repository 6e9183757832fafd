/// The served model's chat settings: its templates and special tokens, how
/// tool calls are read from output, and the ids that end a chat turn.
public struct ChatSupport: Sendable {
    public let model: ModelChatTemplates
    public let toolCallParser: ToolCallParserSetting
    /// generation_config.json's `eos_token_id` (an int or a list, e.g. Llama 3's
    /// `<|eot_id|>` and `<|eom_id|>` beside `<|end_of_text|>`) together with
    /// the tokenizer's eos: generation stops at any of them
    /// (transformers' `GenerationConfig.eos_token_id` semantics).
    public let stopTokenIDs: Set<Int>

    public init(model: ModelChatTemplates, toolCallParser: ToolCallParserSetting, stopTokenIDs: Set<Int>) {
        self.model = model
        self.toolCallParser = toolCallParser
        self.stopTokenIDs = stopTokenIDs
    }

    public static let none = ChatSupport(model: ModelChatTemplates(templates: nil, specialTokens: []),
                                         toolCallParser: .auto, stopTokenIDs: [])
}
