import ChatTemplating
import Foundation
import OrderedJSON

/// A conversation rendered into the prompt text, as transformers'
/// `apply_chat_template` renders it: the template chosen by whether there are
/// tools, the variables passed in its order (messages, tools, documents,
/// add_generation_prompt, the special tokens, the extra keyword arguments),
/// and with `continue_final_message` the text cut right after the final
/// message's content, so the model continues it.
struct ChatPrompt: Sendable {
    var messages: JSONValue
    var tools: JSONValue = .null
    var documents: JSONValue = .null
    var addGenerationPrompt: Bool
    var continueFinalMessage: Bool = false
    var kwargs: JSONValue.Members = []

    /// Reads `messages`, `tools`, `documents`, `add_generation_prompt`,
    /// `continue_final_message` and `chat_template_kwargs` from a request
    /// body (chat completions, `/tokenize`, `/apply-template`).
    /// - Throws: `JSONAccessError` naming the member at fault.
    init(json body: JSONNode, addGenerationPromptByDefault: Bool) throws {
        messages = try ChatMessages.templateMessages(body.required("messages"))
        tools = try Self.tools(body.optional("tools"))
        documents = body.optional("documents")?.value ?? .null
        continueFinalMessage = try body.bool("continue_final_message") ?? false
        addGenerationPrompt = try body.bool("add_generation_prompt") ?? (addGenerationPromptByDefault && !continueFinalMessage)
        if addGenerationPrompt && continueFinalMessage {
            throw JSONAccessError(path: "continue_final_message", expected: "false when add_generation_prompt is true "
                + "(continuing the final message and starting a new one exclude each other)", found: "true")
        }
        if let node = body.optional("chat_template_kwargs") {
            guard case .object(let members) = node.value else { throw node.mismatch("an object") }
            // transformers' apply_chat_template passes these four to the
            // template itself; a kwarg of the same name is a TypeError there
            // (multiple values for one keyword), and here would replace the
            // validated conversation. Special tokens may be overridden, as
            // they can there.
            if let clash = members.first(where: { Self.reservedNames.contains($0.key) }) {
                throw JSONAccessError(path: node.path(of: clash.key), expected: "no `\(clash.key)` (set it as the "
                    + "request's own member; chat_template_kwargs cannot replace it)", found: "a value")
            }
            kwargs = members
        }
    }

    /// What the template reads from the request's own members.
    static let reservedNames: Set<String> = ["messages", "tools", "documents", "add_generation_prompt"]

    init(messages: JSONValue, tools: JSONValue = .null, documents: JSONValue = .null, addGenerationPrompt: Bool,
         continueFinalMessage: Bool = false, kwargs: JSONValue.Members = []) {
        self.messages = messages
        self.tools = tools
        self.documents = documents
        self.addGenerationPrompt = addGenerationPrompt
        self.continueFinalMessage = continueFinalMessage
        self.kwargs = kwargs
    }

    /// A list of tool definitions (objects), passed to the template as
    /// given, as transformers does (OpenAI's `{"type": "function",
    /// "function": {…}}` or a bare function schema); null or absent = none.
    static func tools(_ node: JSONNode?) throws -> JSONValue {
        guard let node else { return .null }
        for tool in try node.array() where tool.value.objectValue == nil {
            throw tool.mismatch("a tool definition object")
        }
        return node.value
    }

    var hasTools: Bool {
        if case .array(let list) = tools { return !list.isEmpty }
        return false
    }

    /// - Throws: `ChatPromptError` when the template refuses the conversation
    ///   (its own `raise_exception` message, or a runtime error), or when the
    ///   final message to continue does not appear in the rendering.
    func render(_ templates: ChatTemplateSet, specialTokens: [(name: String, value: String)],
                date: TemplateDate = TemplateDate(Date())) throws(ChatPromptError) -> String {
        guard let template = templates.select(hasTools: hasTools) else {
            throw ChatPromptError("the chat templates from \(templates.origin) have no `default` "
                + "(names: \(templates.templates.map(\.name).joined(separator: ", ")))")
        }
        let messages = template.iteratesContentParts ? self.messages : ChatMessages.joiningTextParts(self.messages)
        let input = ChatTemplateInput(messages: messages, tools: hasTools ? tools : .null, documents: documents,
                                      addGenerationPrompt: addGenerationPrompt, specialTokens: specialTokens, extra: kwargs)
        let rendered: String
        do { rendered = try template.render(input, date: date) } catch {
            throw ChatPromptError("the chat template (\(templates.origin)) failed: \(error)")
        }
        return continueFinalMessage ? try Self.cutAfterFinalMessage(rendered, messages: messages) : rendered
    }

    /// transformers' `continue_final_message`: the rendering up to the end of
    /// the last occurrence of the final message's (stripped) text; the
    /// message's trailing blanks are kept when the template kept them.
    static func cutAfterFinalMessage(_ rendered: String, messages: JSONValue) throws(ChatPromptError) -> String {
        // transformers: the content, or the text of its last part that has one.
        let content: JSONValue? = if case .array(let list) = messages { list.last?["content"] } else { nil }
        let text: String? = switch content {
        case .string(let s)?: s
        case .array(let parts)?: parts.reversed().lazy.compactMap { $0["text"]?.stringValue }.first
        default: nil
        }
        guard let final = text else {
            throw ChatPromptError("continue_final_message is set but the final message has no text content to continue")
        }
        let stripped = final.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let found = rendered.range(of: stripped, options: [.backwards, .literal]) else {
            throw ChatPromptError("continue_final_message is set but the final message does not appear in the "
                + "rendered chat (the template changes it)")
        }
        let scalars = rendered.unicodeScalars
        let start = found.lowerBound
        let leftStripped = final.drop(while: { $0.isWhitespace })
        let lengthLeft = leftStripped.unicodeScalars.count
        let end = scalars.index(start, offsetBy: lengthLeft, limitedBy: scalars.endIndex) ?? scalars.endIndex
        if String(scalars[start..<end]) == final { return String(scalars[..<end]) }
        let strippedEnd = scalars.index(start, offsetBy: stripped.unicodeScalars.count)
        return String(scalars[..<strippedEnd])
    }
}
