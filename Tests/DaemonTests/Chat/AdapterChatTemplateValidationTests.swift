import ChatTemplating
import Foundation
import HTTP1
import OrderedJSON
import Testing
import TestSupport
@testable import Daemon

/// What an upload's `chat_template` must do to be stored: render a
/// one-message conversation — or, for a template that reads `tools` and
/// renders only with them (a `tool_use` template), render it with one tool.
struct AdapterChatTemplateValidationTests {
    static func source(_ name: String) throws -> String {
        try String(contentsOf: ChatPromptTests.corpus.appendingPathComponent("templates/\(name).jinja"), encoding: .utf8)
    }

    @Test func aToolUseTemplateThatNeedsToolsIsAccepted() throws {
        let hermes = try Self.source("NousResearch-Hermes-3-Llama-3.1-8B-tool_use")
        // It fails without tools (it iterates them), as jinja2 would.
        let alone = ChatTemplateSet(single: try ChatTemplate(source: hermes), origin: "hermes")
        let messages = JSONValue.array([.object([("role", .string("user")), ("content", .string("Hello"))])])
        #expect(throws: ChatPromptError.self) {
            try ChatPrompt(messages: messages, addGenerationPrompt: true).render(alone, specialTokens: [])
        }
        let set = try AdapterChatTemplates.validate(hermes, specialTokens: [("bos_token", "<|begin_of_text|>")])
        #expect(set.templates.count == 1)
    }

    @Test func templatesThatFailWithAndWithoutToolsAreRefused() {
        for source in ["{{ raise_exception('no') }}",
                       "{% for t in tools %}{{ t.function.name }}{% endfor %}{{ raise_exception('still no') }}",
                       "{{ messages[5].content }}"] {
            #expect {
                _ = try AdapterChatTemplates.validate(source, specialTokens: [])
            } throws: { error in
                (error as? HTTPError)?.status.code == 422
            }
        }
    }
}
