import ChatTemplating
import FileReading
import Foundation
import OrderedJSON

/// What a model folder says about chat: its templates and the special-token
/// strings transformers passes to them.
///
/// Where the templates come from, first found wins (transformers'
/// `PreTrainedTokenizerBase.from_pretrained` lets `chat_template.jinja`
/// override tokenizer_config.json's key, and the daemon's own
/// `chat_template = FILE` overrides both):
/// 1. the configured file;
/// 2. `chat_template.jinja` beside the tokenizer (what transformers ≥ 4.43 writes);
/// 3. tokenizer_config.json `chat_template`: a string, or a list of
///    `{"name", "template"}` (`default`, `tool_use`, …).
public struct ModelChatTemplates: Sendable {
    /// nil when the model has no template (chat requests are then refused).
    public let templates: ChatTemplateSet?
    /// `bos_token`, `eos_token`, `pad_token`, `unk_token` that are set, as strings.
    public let specialTokens: [(name: String, value: String)]

    public init(templates: ChatTemplateSet?, specialTokens: [(name: String, value: String)]) {
        self.templates = templates
        self.specialTokens = specialTokens
    }

    /// Reads `folder` (and `configuredFile` when given).
    /// - Throws: `ChatTemplateLoadError` naming the file or key that is
    ///   unreadable, of the wrong shape, or not a valid template.
    public static func load(folder: URL, configuredFile: String?) throws -> ModelChatTemplates {
        let config = try tokenizerConfig(folder)
        let tokens = try specialTokens(config: config, folder: folder)
        if let configuredFile {
            let source = try readText(URL(fileURLWithPath: configuredFile))
            // Requests' errors name the file, not where the server keeps it.
            let shown = URL(fileURLWithPath: configuredFile).lastPathComponent
            return ModelChatTemplates(templates: ChatTemplateSet(
                single: try parse(source, origin: configuredFile), origin: shown), specialTokens: tokens)
        }
        let jinja = folder.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            let source = try readText(jinja)
            return ModelChatTemplates(templates: ChatTemplateSet(
                single: try parse(source, origin: "chat_template.jinja"), origin: "chat_template.jinja"), specialTokens: tokens)
        }
        guard let node = config?.optional("chat_template"), !node.value.isNull else {
            return ModelChatTemplates(templates: nil, specialTokens: tokens)
        }
        return ModelChatTemplates(templates: try templateSet(node, origin: "tokenizer_config.json"), specialTokens: tokens)
    }

    /// tokenizer_config.json `chat_template`: a string, or a list of
    /// `{"name": …, "template": …}` with distinct names.
    static func templateSet(_ node: JSONNode, origin file: String) throws -> ChatTemplateSet {
        let key = "\(file) chat_template"
        if case .string(let source) = node.value {
            return ChatTemplateSet(single: try parse(source, origin: key), origin: file)
        }
        guard case .array(let items) = node.value, !items.isEmpty else {
            throw ChatTemplateLoadError(origin: key, reason: "expected a string or a non-empty list of {\"name\", \"template\"}")
        }
        var templates: [(name: String, template: ChatTemplate)] = []
        for (i, item) in items.enumerated() {
            let origin = "\(key)[\(i)]"
            guard case .string(let name)? = item["name"], case .string(let source)? = item["template"] else {
                throw ChatTemplateLoadError(origin: origin, reason: "expected an object with string members `name` and `template`")
            }
            guard !templates.contains(where: { $0.name == name }) else {
                throw ChatTemplateLoadError(origin: origin, reason: "the name '\(name)' appears twice")
            }
            templates.append((name, try parse(source, origin: origin)))
        }
        return ChatTemplateSet(templates: templates, origin: file)
    }

    static func parse(_ source: String, origin: String) throws -> ChatTemplate {
        do { return try ChatTemplate(source: source) } catch {
            throw ChatTemplateLoadError(origin: origin, reason: error.description)
        }
    }

    private static func tokenizerConfig(_ folder: URL) throws -> JSONNode? {
        let url = folder.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try jsonDocument(url, origin: "tokenizer_config.json")
    }

    /// Each special token as tokenizer_config.json sets it (a string, or an
    /// AddedToken object's `content`), else as special_tokens_map.json does
    /// (older saves keep them only there); null or absent = unset.
    private static func specialTokens(config: JSONNode?, folder: URL) throws -> [(name: String, value: String)] {
        let mapURL = folder.appendingPathComponent("special_tokens_map.json")
        let map = FileManager.default.fileExists(atPath: mapURL.path)
            ? try jsonDocument(mapURL, origin: "special_tokens_map.json") : nil
        var tokens: [(name: String, value: String)] = []
        for name in ChatTemplateInput.specialTokenNames {
            for (file, node) in [("tokenizer_config.json", config), ("special_tokens_map.json", map)] {
                guard let value = node?.optional(name)?.value, !value.isNull else { continue }
                switch value {
                case .string(let s): tokens.append((name, s))
                case .object:
                    guard case .string(let s)? = value["content"] else {
                        throw ChatTemplateLoadError(origin: "\(file) \(name)", reason: "an object without a string `content`")
                    }
                    tokens.append((name, s))
                default:
                    throw ChatTemplateLoadError(origin: "\(file) \(name)", reason: "expected a string or {\"content\": …}, found \(value.brief)")
                }
                break
            }
        }
        return tokens
    }

    /// A read failure names the whole path (`origin` is the file's name).
    private static func jsonDocument(_ url: URL, origin: String) throws -> JSONNode {
        let data: Data
        do { data = try RegularFile.read(url.path, limit: .modelFile) } catch {
            throw ChatTemplateLoadError(origin: url.path, reason: error.reason)
        }
        do { return JSONNode(try JSONValue.parse(data)) } catch {
            throw ChatTemplateLoadError(origin: origin, reason: "invalid JSON: \(error)")
        }
    }

    /// A template file's text, at most `FileSizeLimit.chatTemplate` bytes.
    static func readText(_ url: URL) throws -> String {
        do { return try RegularFile.readText(url.path, limit: .chatTemplate) } catch {
            throw ChatTemplateLoadError(origin: url.path, reason: error.reason)
        }
    }
}
