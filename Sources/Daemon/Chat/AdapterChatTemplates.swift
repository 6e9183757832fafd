import ChatTemplating
import Foundation
import HTTP1
import OrderedJSON
import Synchronization

/// Adapters' own chat templates: checked when uploaded, parsed once per
/// stored version when used.
final class AdapterChatTemplates: Sendable {
    /// Parsed templates by adapter name, with the registry version they belong to.
    private let parsed = Mutex<[String: (generation: Int64, set: ChatTemplateSet)]>([:])

    /// A template an upload carries must parse and render a one-message
    /// conversation (with a generation prompt, the base's special tokens,
    /// within the default `TemplateLimits`) before the adapter is stored;
    /// otherwise 422 naming the template's error.
    static func validate(_ text: String, specialTokens: [(name: String, value: String)]) throws -> ChatTemplateSet {
        let template: ChatTemplate
        do { template = try ChatTemplate(source: text) } catch {
            throw HTTPError(.unprocessableContent, "invalid chat_template: \(error)", type: "invalid_chat_template")
        }
        let set = ChatTemplateSet(single: template, origin: "the adapter's chat_template")
        let messages = JSONValue.array([.object([("role", .string("user")), ("content", .string("Hello"))])])
        do {
            _ = try ChatPrompt(messages: messages, addGenerationPrompt: true).render(set, specialTokens: specialTokens)
        } catch {
            // A tool-use template (Hermes' `tool_use`) may need tools to
            // render at all: it passes when it renders the conversation with one.
            guard template.readsTools, (try? ChatPrompt(messages: messages, tools: Self.sampleTools, addGenerationPrompt: true)
                .render(set, specialTokens: specialTokens)) != nil else {
                throw HTTPError(.unprocessableContent, "invalid chat_template: rendering a one-message conversation failed: "
                    + "\(error)", type: "invalid_chat_template")
            }
        }
        return set
    }

    /// One OpenAI function tool, for checking a template that renders only with tools.
    static let sampleTools = JSONValue.array([.object([
        ("type", .string("function")),
        ("function", .object([("name", .string("get_time")), ("description", .string("The current time.")),
                              ("parameters", .object([("type", .string("object")), ("properties", .object([]))]))])),
    ])])

    /// The stored template of `name` at `generation`, parsed once per version.
    func set(name: String, generation: Int64, text: String) throws -> ChatTemplateSet {
        if let hit = parsed.withLock({ $0[name] }), hit.generation == generation { return hit.set }
        let template: ChatTemplate
        do { template = try ChatTemplate(source: text) } catch {
            throw APIError.internalError("the stored chat template of adapter '\(name)' no longer parses: \(error)")
        }
        let set = ChatTemplateSet(single: template, origin: "adapter '\(name)'")
        parsed.withLock { $0[name] = (generation, set) }
        return set
    }
}
