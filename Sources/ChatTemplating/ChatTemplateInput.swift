import OrderedJSON

/// What transformers passes to a chat template
/// (`render_jinja_template(conversations, tools, documents,
/// add_generation_prompt, **special_tokens, **kwargs)`): `messages`, `tools`
/// and `documents` always (null when absent, so `tools is defined` holds),
/// `add_generation_prompt`, each special token that is set, and the extra
/// keyword arguments (`chat_template_kwargs`, e.g. `enable_thinking`).
///
/// Messages are used as given: callers apply transformers' preprocessing
/// (drop keys whose value is null; alias a reasoning field to
/// `reasoning_content` and `thinking`) before.
public struct ChatTemplateInput: Sendable {
    public var messages: JSONValue
    public var tools: JSONValue
    public var documents: JSONValue
    public var addGenerationPrompt: Bool
    /// `bos_token`, `eos_token`, `pad_token`, `unk_token` as the tokenizer
    /// defines them; an unset token is left out and is undefined in the template.
    public var specialTokens: [(name: String, value: String)]
    /// Extra variables, applied last (they override special tokens of the same name).
    public var extra: JSONValue.Members

    public init(messages: JSONValue, tools: JSONValue = .null, documents: JSONValue = .null,
                addGenerationPrompt: Bool = false, specialTokens: [(name: String, value: String)] = [],
                extra: JSONValue.Members = []) {
        self.messages = messages
        self.tools = tools
        self.documents = documents
        self.addGenerationPrompt = addGenerationPrompt
        self.specialTokens = specialTokens
        self.extra = extra
    }

    /// The special-token variables transformers passes.
    public static let specialTokenNames = ["bos_token", "eos_token", "pad_token", "unk_token"]

    /// An input from one entry of a golden corpus's `cases` (the shape
    /// `lorad template render --context` reads): `messages`, `tools`,
    /// `documents`, `add_generation_prompt`, the four special tokens (null =
    /// unset) and `kwargs`.
    /// - Throws: `TemplateInputError` naming the member that is missing or of the wrong type.
    public init(caseJSON json: JSONValue) throws(TemplateInputError) {
        guard case .object = json else { throw TemplateInputError(member: "(top level)", expected: "an object") }
        guard let messages = json["messages"], case .array = messages else {
            throw TemplateInputError(member: "messages", expected: "an array")
        }
        var tokens: [(name: String, value: String)] = []
        for name in ChatTemplateInput.specialTokenNames {
            switch json[name] ?? .null {
            case .null: continue
            case .string(let s): tokens.append((name, s))
            default: throw TemplateInputError(member: name, expected: "a string or null")
            }
        }
        var extra: JSONValue.Members = []
        switch json["kwargs"] ?? .null {
        case .null: break
        case .object(let members): extra = members
        default: throw TemplateInputError(member: "kwargs", expected: "an object")
        }
        let generation: Bool
        switch json["add_generation_prompt"] ?? .bool(false) {
        case .bool(let b): generation = b
        default: throw TemplateInputError(member: "add_generation_prompt", expected: "true or false")
        }
        self.init(messages: messages, tools: json["tools"] ?? .null, documents: json["documents"] ?? .null,
                  addGenerationPrompt: generation, specialTokens: tokens, extra: extra)
    }

    /// The template's variables, in the order transformers passes them.
    public var variables: JSONValue.Members {
        var v: JSONValue.Members = [("messages", messages), ("tools", tools), ("documents", documents),
                                    ("add_generation_prompt", .bool(addGenerationPrompt))]
        for t in specialTokens { v.append((t.name, .string(t.value))) }
        v.append(contentsOf: extra)
        return v
    }
}
