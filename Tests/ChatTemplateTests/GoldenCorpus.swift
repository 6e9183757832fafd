import ChatTemplating
import Foundation
import OrderedJSON
import TestSupport
import Testing

/// The golden corpus copied from the shared fixtures: 26 real chat
/// templates and 342 renderings of them by transformers + jinja2
/// (`Tests/Fixtures/chat-templates`).
enum GoldenCorpus {
    static let directory = Fixtures.directory.appendingPathComponent("chat-templates")

    /// transformers rendered every case with `strftime_now` pinned to this day.
    static let date = TemplateDate(year: 2026, month: 7, day: 26)

    struct Case: Sendable, CustomTestStringConvertible {
        let template: String
        let context: String
        let addGenerationPrompt: Bool
        let json: JSONValue
        var testDescription: String { "\(template) / \(context) / agp=\(addGenerationPrompt)" }
    }

    static let document: JSONValue = {
        let data = (try? Data(contentsOf: directory.appendingPathComponent("goldens.json"))) ?? Data()
        return (try? JSONValue.parse(data)) ?? .null
    }()

    static let cases: [Case] = (document["cases"]?.arrayValue ?? []).map { c in
        Case(template: c["template"]?.stringValue ?? "?", context: c["context_name"]?.stringValue ?? "?",
             addGenerationPrompt: c["add_generation_prompt"]?.boolValue ?? false, json: c)
    }

    static func templateURL(_ name: String) -> URL {
        directory.appendingPathComponent("templates").appendingPathComponent(name + ".jinja")
    }

    /// Each template parsed once and shared by all its cases (and threads).
    static let templates: [String: Result<ChatTemplate, TemplateError>] = {
        var out: [String: Result<ChatTemplate, TemplateError>] = [:]
        for name in document["templates"]?.objectValue?.map(\.key) ?? [] {
            let source = (try? String(contentsOf: templateURL(name), encoding: .utf8)) ?? ""
            out[name] = Result { () throws(TemplateError) in try ChatTemplate(source: source) }
        }
        return out
    }()
}
