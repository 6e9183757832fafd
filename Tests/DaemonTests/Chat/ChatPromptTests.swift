import ChatTemplating
import Foundation
import OrderedJSON
import Testing
import TestSupport
@testable import Daemon

/// Rendering a request's conversation: the golden corpus (transformers'
/// renderings) through the request path (messages prepared, template chosen,
/// variables passed), `continue_final_message` as transformers cuts it, and
/// where templates come from (the model folder's files and the configuration).
struct ChatPromptTests {
    static let corpus = Fixtures.directory.appendingPathComponent("chat-templates")
    static let date = TemplateDate(year: 2026, month: 7, day: 26)

    static func template(_ name: String) throws -> ChatTemplate {
        try ChatTemplate(source: String(contentsOf: corpus.appendingPathComponent("templates/\(name).jinja"), encoding: .utf8))
    }

    /// Every golden case without an error, except content given as blocks
    /// with an image, or to a template that does not loop over content (requests join text
    /// parts into one string for it, as vLLM does) and tool calls whose
    /// arguments the case passes as a string (requests parse them into an
    /// object, as vLLM does).
    @Test func goldenCasesRenderThroughTheRequestPath() throws {
        let document = try JSONValue.parse(Data(contentsOf: Self.corpus.appendingPathComponent("goldens.json")))
        var checked = 0
        for c in document["cases"]?.arrayValue ?? [] {
            guard case .string(let expected)? = c["expected"], let name = c["template"]?.stringValue, let messages = c["messages"],
                  !messages.serialized().contains(#""arguments": ""#) else { continue }
            if c["context_name"]?.stringValue == "content_blocks" {
                // Image parts are refused by requests (text only).
                guard try Self.template(name).iteratesContentParts, !messages.serialized().contains(#""type": "image"#) else { continue }
            }
            let body = JSONNode(.object([("messages", messages), ("tools", c["tools"] ?? .null), ("documents", c["documents"] ?? .null),
                                         ("add_generation_prompt", c["add_generation_prompt"] ?? .bool(false)),
                                         ("chat_template_kwargs", c["kwargs"] ?? .object([]))]))
            let prompt = try ChatPrompt(json: body, addGenerationPromptByDefault: true)
            let tokens = ChatTemplateInput.specialTokenNames.compactMap { n in c[n]?.stringValue.map { (name: n, value: $0) } }
            let set = ChatTemplateSet(single: try Self.template(name), origin: name)
            let rendered = try prompt.render(set, specialTokens: tokens, date: Self.date)
            #expect(rendered == expected, "\(name) / \(c["context_name"]?.stringValue ?? "")")
            checked += 1
        }
        #expect(checked > 250)
    }

    /// Content given as text parts reaches a template that loops over
    /// content (Mistral-Small-3.2's `for block in message['content']`) as
    /// the list of parts, and every other template as one string, the parts
    /// joined by "\n" — vLLM's "openai" and "string" content formats. Each
    /// of the 26 renderings equals jinja2's of that form (conversations
    /// `content_parts_multi` and `content_parts_joined`, rendered by jinja2
    /// as transformers sets it up).
    @Test func contentPartsReachEachTemplateInTheFormItReads() throws {
        let url = Fixtures.directory.appendingPathComponent("jinja2/conversations.json")
        let document = try JSONValue.parse(Data(contentsOf: url))
        let messages = try #require(document["conversations"]?["content_parts_multi"]?["messages"])
        var iterating: [String] = []
        for (name, tokenValues) in try #require(document["special_tokens"]?.objectValue) {
            let template = try Self.template(name)
            if template.iteratesContentParts { iterating.append(name) }
            let form = template.iteratesContentParts ? "content_parts_multi" : "content_parts_joined"
            let tokens = (tokenValues.objectValue ?? []).compactMap { key, value in value.stringValue.map { (name: key, value: $0) } }
            for agp in [true, false] {
                let expected = try #require(document["cases"]?.arrayValue?.first {
                    $0["template"]?.stringValue == name && $0["conversation"]?.stringValue == form && $0["add_generation_prompt"] == .bool(agp)
                })
                let body = JSONNode(.object([("messages", messages), ("add_generation_prompt", .bool(agp))]))
                let set = ChatTemplateSet(single: template, origin: name)
                let rendered = Result { try ChatPrompt(json: body, addGenerationPromptByDefault: true).render(set, specialTokens: tokens, date: Self.date) }
                if case .string(let text)? = expected["expected"] {
                    #expect((try? rendered.get()) == text, "\(name) add_generation_prompt \(agp)")
                } else {
                    #expect(throws: (any Error).self, "\(name): jinja2 failed, so must we") { try rendered.get() }
                }
            }
        }
        #expect(iterating == ["Mistral-Small-3.2-24B-Instruct-2506"])
    }

    static let smolSystem = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"

    /// The expectations are ChatML written out by hand.
    @Test func continueFinalMessageCutsAfterTheFinalMessage() throws {
        let set = ChatTemplateSet(single: try Self.template("HuggingFaceTB-SmolLM2-135M-Instruct"), origin: "smol")
        func render(_ final: String) throws -> String {
            let messages = JSONValue.array([.object([("role", .string("user")), ("content", .string("Hi"))]),
                                            .object([("role", .string("assistant")), ("content", .string(final))])])
            return try ChatPrompt(messages: messages, addGenerationPrompt: false, continueFinalMessage: true)
                .render(set, specialTokens: [], date: Self.date)
        }
        let head = Self.smolSystem + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        #expect(try render("The answer is") == head + "The answer is")
        #expect(try render("The answer is ") == head + "The answer is ")
        let missing = JSONValue.array([.object([("role", .string("assistant")), ("content", .string("x"))])])
        let broken = ChatTemplateSet(single: try ChatTemplate(source: "{{ 'nothing' }}"), origin: "t")
        #expect(throws: ChatPromptError.self) {
            try ChatPrompt(messages: missing, addGenerationPrompt: false, continueFinalMessage: true).render(broken, specialTokens: [])
        }
    }

    @Test func aTemplateRefusingTheConversationIsAPromptError() throws {
        let set = ChatTemplateSet(single: try ChatTemplate(source: "{{ raise_exception('roles must alternate') }}"), origin: "t")
        let messages = JSONValue.array([.object([("role", .string("user")), ("content", .string("x"))])])
        do {
            _ = try ChatPrompt(messages: messages, addGenerationPrompt: true).render(set, specialTokens: [])
            Issue.record("rendered")
        } catch {
            #expect(error.description.hasSuffix("roles must alternate"))
        }
    }

    // MARK: where templates come from

    func folder(tokenizerConfig: String, jinja: String? = nil, specialTokensMap: String? = nil) throws -> URL {
        let dir = try Fixtures.temporaryDirectory("chat-templates")
        try Data(tokenizerConfig.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        if let jinja { try Data(jinja.utf8).write(to: dir.appendingPathComponent("chat_template.jinja")) }
        if let specialTokensMap { try Data(specialTokensMap.utf8).write(to: dir.appendingPathComponent("special_tokens_map.json")) }
        return dir
    }

    func renderOne(_ set: ChatTemplateSet?, tools: Bool = false) throws -> String {
        let set = try #require(set)
        let tool = JSONValue.object([("type", .string("function")), ("function", .object([("name", .string("f"))]))])
        let messages = JSONValue.array([.object([("role", .string("user")), ("content", .string("x"))])])
        return try ChatPrompt(messages: messages, tools: tools ? .array([tool]) : .null, addGenerationPrompt: false)
            .render(set, specialTokens: [])
    }

    @Test func namedTemplatesAreChosenByTools() throws {
        let dir = try folder(tokenizerConfig: #"""
            {"bos_token": {"content": "<s>", "lstrip": false, "__type": "AddedToken"}, "eos_token": "</s>", "pad_token": null,
             "chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}
            """#, specialTokensMap: #"{"unk_token": "<unk>", "eos_token": "<other>"}"#)
        let loaded = try ModelChatTemplates.load(folder: dir, configuredFile: nil)
        #expect(try renderOne(loaded.templates) == "D")
        #expect(try renderOne(loaded.templates, tools: true) == "T")
        #expect(loaded.specialTokens.map(\.name) == ["bos_token", "eos_token", "unk_token"])
        #expect(loaded.specialTokens.map(\.value) == ["<s>", "</s>", "<unk>"])
    }

    @Test func theJinjaFileOverridesTheConfigAndTheConfiguredFileOverridesBoth() throws {
        let dir = try folder(tokenizerConfig: #"{"chat_template": "from config"}"#)
        #expect(try renderOne(ModelChatTemplates.load(folder: dir, configuredFile: nil).templates) == "from config")
        try Data("from jinja".utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
        #expect(try renderOne(ModelChatTemplates.load(folder: dir, configuredFile: nil).templates) == "from jinja")
        let configured = dir.appendingPathComponent("mine.jinja")
        try Data("configured".utf8).write(to: configured)
        #expect(try renderOne(ModelChatTemplates.load(folder: dir, configuredFile: configured.path).templates) == "configured")
        let none = try folder(tokenizerConfig: #"{"eos_token": "</s>"}"#)
        #expect(try ModelChatTemplates.load(folder: none, configuredFile: nil).templates == nil)
    }

    @Test func aBrokenTemplateIsRefusedNamingWhereItCameFrom() throws {
        let dir = try folder(tokenizerConfig: #"{"chat_template": [{"name": "default", "template": "ok"}, {"name": "tool_use", "template": "{% if %}"}]}"#)
        do {
            _ = try ModelChatTemplates.load(folder: dir, configuredFile: nil)
            Issue.record("loaded")
        } catch let e as ChatTemplateLoadError {
            #expect(e.origin == "tokenizer_config.json chat_template[1]")
        }
        let dup = try folder(tokenizerConfig: #"{"chat_template": [{"name": "default", "template": "a"}, {"name": "default", "template": "b"}]}"#)
        #expect(throws: ChatTemplateLoadError.self) { try ModelChatTemplates.load(folder: dup, configuredFile: nil) }
        let wrong = try folder(tokenizerConfig: #"{"chat_template": 3}"#)
        #expect(throws: ChatTemplateLoadError.self) { try ModelChatTemplates.load(folder: wrong, configuredFile: nil) }
        #expect(throws: ChatTemplateLoadError.self) {
            try ModelChatTemplates.load(folder: dir, configuredFile: dir.appendingPathComponent("absent.jinja").path)
        }
    }
}
