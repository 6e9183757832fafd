import ChatTemplating

/// The chat templates one model (or one adapter) renders with: a single
/// template, or transformers' named list where `tool_use` is chosen when
/// the request has tools and `default` otherwise
/// (`PreTrainedTokenizerBase.get_chat_template`).
public struct ChatTemplateSet: Sendable {
    /// Name → parsed template, in file order (`default` for a single template).
    public let templates: [(name: String, template: ChatTemplate)]
    /// Where the templates came from, for logs and errors
    /// (`tokenizer_config.json`, `chat_template.jinja`, a configured path, an upload).
    public let origin: String

    public init(templates: [(name: String, template: ChatTemplate)], origin: String) {
        self.templates = templates
        self.origin = origin
    }

    /// One template under the name `default`.
    public init(single template: ChatTemplate, origin: String) {
        self.init(templates: [("default", template)], origin: origin)
    }

    /// transformers' choice: with tools, `tool_use` when present; else
    /// `default`; a single template always. A list with neither is an error
    /// there ("multiple chat templates with no default specified").
    public func select(hasTools: Bool) -> ChatTemplate? {
        if templates.count == 1 { return templates[0].template }
        if hasTools, let t = templates.first(where: { $0.name == "tool_use" }) { return t.template }
        return templates.first(where: { $0.name == "default" })?.template
    }

    /// The text of every template, for choosing a tool-call format.
    public var sources: [String] { templates.map(\.template.source) }
}
