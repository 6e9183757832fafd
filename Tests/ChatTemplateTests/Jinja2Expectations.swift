import ChatTemplating
import Foundation
import OrderedJSON
import TestSupport
import Testing

/// Renderings by real jinja2 (set up as transformers sets it up), generated
/// once by `Tests/Fixtures/jinja2/make_expectations.py`: small templates,
/// one per language feature (`features.json`), and the 26 real templates
/// over conversations that are not in the golden corpus (`conversations.json`).
enum Jinja2Expectations {
    static let directory = Fixtures.directory.appendingPathComponent("jinja2")

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let template: String
        let variables: JSONValue.Members
        let expected: String?
        let errorType: String?
        let error: String?
        var testDescription: String { name }
    }

    private static func load(_ file: String) -> JSONValue {
        let data = (try? Data(contentsOf: directory.appendingPathComponent(file))) ?? Data()
        return (try? JSONValue.parse(data)) ?? .null
    }

    static let features: [Case] = (load("features.json")["cases"]?.arrayValue ?? []).map { c in
        Case(name: c["name"]?.stringValue ?? "?", template: c["template"]?.stringValue ?? "",
             variables: c["context"]?.objectValue ?? [], expected: c["expected"]?.stringValue,
             errorType: c["error_type"]?.stringValue, error: c["error"]?.stringValue)
    }

    static let conversations: [Case] = {
        let file = load("conversations.json")
        let talks = file["conversations"] ?? .null
        return (file["cases"]?.arrayValue ?? []).map { c in
            let template = c["template"]?.stringValue ?? "?"
            let talk = talks[c["conversation"]?.stringValue ?? ""] ?? .null
            let tokens = (file["special_tokens"]?[template]?.objectValue ?? []).compactMap { t in t.value.stringValue.map { (name: t.key, value: $0) } }
            let input = ChatTemplateInput(messages: talk["messages"] ?? .array([]), tools: talk["tools"] ?? .null,
                                          documents: talk["documents"] ?? .null,
                                          addGenerationPrompt: c["add_generation_prompt"]?.boolValue ?? false,
                                          specialTokens: tokens, extra: talk["kwargs"]?.objectValue ?? [])
            let raised = c["error_from_raise_exception"]?.boolValue == true
            return Case(name: "\(template) / \(c["conversation"]?.stringValue ?? "?") / agp=\(c["add_generation_prompt"]?.boolValue ?? false)",
                        template: template, variables: input.variables, expected: c["expected"]?.stringValue,
                        errorType: raised ? "raise_exception" : c["error_type"]?.stringValue, error: c["error"]?.stringValue)
        }
    }()

    /// The feature cases whose name starts with `prefix`.
    static func features(_ prefix: String) -> [Case] { features.filter { $0.name.hasPrefix(prefix) } }

    /// Renders a feature case and compares with jinja2's result.
    static func checkFeature(_ c: Case) {
        check(c, Result { () throws(TemplateError) in try ChatTemplate(source: c.template).render(c.variables, date: date) })
    }

    /// `strftime_now` was pinned to this day when the expectations were made.
    static let date = TemplateDate(year: 2026, month: 7, day: 26)

    /// Our output equals jinja2's, or we fail where it failed with the
    /// corresponding error (and `raise_exception`'s exact message).
    static func check(_ c: Case, _ result: Result<String, TemplateError>) {
        switch (result, c.expected) {
        case (.success(let output), let expected?):
            #expect(output == expected)
        case (.failure(let error), let expected?):
            Issue.record("jinja2 rendered \(expected.debugDescription); we failed: \(error)")
        case (.success(let output), nil):
            Issue.record("jinja2 failed with \(c.errorType ?? "?"): \(c.error ?? ""); we rendered \(output.debugDescription)")
        case (.failure(let error), nil):
            let type = c.errorType ?? "?"
            #expect(matches(error.kind, pythonError: type), "jinja2: \(type): \(c.error ?? ""); we: \(error)")
            if type == "raise_exception" { #expect(error.message == c.error) }
        }
    }

    /// Whether our error kind is the one jinja2's exception class corresponds to.
    static func matches(_ kind: TemplateError.Kind, pythonError type: String) -> Bool {
        switch type {
        case "raise_exception": return kind == .raised
        case "UndefinedError": return kind == .undefined
        case "SecurityError": return kind == .security
        case "TypeError": return kind == .type || kind == .undefined
        case "ValueError", "ZeroDivisionError": return kind == .value
        case "OverflowError": return kind == .limit(.rangeLength) || kind == .value
        case "RecursionError": if case .limit = kind { return true } else { return false }
        case "TemplateSyntaxError", "SyntaxError", "TemplateAssertionError": return kind == .syntax
        case "TemplateRuntimeError": return kind == .type
        default: return false
        }
    }
}
