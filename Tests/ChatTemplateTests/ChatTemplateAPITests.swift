import ChatTemplating
import Foundation
import OrderedJSON
import Testing

/// The public API: errors are typed with positions, `raise_exception` is
/// distinguishable and verbatim, one parsed template serves concurrent
/// renders, and inputs are built as transformers builds them.
@Suite struct ChatTemplateAPITests {
    private let date = TemplateDate(year: 2026, month: 7, day: 26)

    @Test func syntaxErrorsCarryLineAndColumn() {
        do {
            _ = try ChatTemplate(source: "line one\n  {{ messages[0] }}\n{% if x %}\n  {{ 1 + }}\n{% endif %}")
            Issue.record("parsed")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.line == 4)
            #expect(error.column == 10)  // the `}}` that cannot start an operand
        }
        do {
            _ = try ChatTemplate(source: "{% for m in messages %}unclosed")
            Issue.record("parsed")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.message.contains("endfor"))
        }
    }

    @Test func runtimeErrorsPointAtTheFailingExpression() throws {
        let template = try ChatTemplate(source: "ok\n{% set x = 1 %}\n   {{ messages.missing.deeper }}")
        do {
            _ = try template.render([("messages", .object([]))], date: date)
            Issue.record("rendered")
        } catch {
            #expect(error.kind == .undefined)
            #expect(error.line == 3)
        }
    }

    @Test func raiseExceptionMessageIsExactlyTheTemplatesText() throws {
        let message = "Conversation roles must alternate user/assistant/user/assistant/... (line \"2\": é)"
        let template = try ChatTemplate(source: "{% if true %}{{ raise_exception(" + JSONString.quoted(message) + ") }}{% endif %}")
        do {
            _ = try template.render([], date: date)
            Issue.record("rendered")
        } catch {
            #expect(error.kind == .raised)
            #expect(error.message == message)
            #expect(error.description == message)
        }
    }

    @Test func oneParsedTemplateRendersConcurrently() async throws {
        let template = try #require(try GoldenCorpus.templates["Qwen-Qwen3-0.6B"]?.get())
        let cases = GoldenCorpus.cases.filter { $0.template == "Qwen-Qwen3-0.6B" && $0.json["expected"] != nil }
        let inputs = try cases.map { try ChatTemplateInput(caseJSON: $0.json) }
        let serial = try inputs.map { try template.render($0, date: date) }
        let parallel = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for round in 0..<8 {
                for (i, input) in inputs.enumerated() {
                    group.addTask { (i, try template.render(input, date: TemplateDate(year: 2026, month: 7, day: 26 + round % 1))) }
                }
            }
            var results: [(Int, String)] = []
            for try await r in group { results.append(r) }
            return results
        }
        #expect(parallel.count == inputs.count * 8)
        for (i, output) in parallel { #expect(output == serial[i]) }
        #expect(serial.map { Optional($0) } == cases.map { $0.json["expected"]?.stringValue })
    }

    @Test func inputPassesNullToolsAndOnlySetTokensAsTransformersDoes() throws {
        let template = try ChatTemplate(source: "{{ tools is defined }}|{{ tools is none }}|{{ bos_token is defined }}|{{ eos_token }}|{{ enable_thinking }}")
        let input = ChatTemplateInput(messages: .array([]), specialTokens: [("eos_token", "</s>")],
                                      extra: [("enable_thinking", .bool(false))])
        #expect(try template.render(input, date: date) == "True|True|False|</s>|False")
    }

    @Test func caseJSONOfTheWrongShapeNamesTheMember() {
        #expect(throws: TemplateInputError(member: "messages", expected: "an array")) {
            try ChatTemplateInput(caseJSON: .object([("messages", .string("hi"))]))
        }
        #expect(throws: TemplateInputError(member: "bos_token", expected: "a string or null")) {
            try ChatTemplateInput(caseJSON: .object([("messages", .array([])), ("bos_token", .integer(1))]))
        }
    }

    @Test func referencedVariablesTellWhetherToolsAreRead() throws {
        let withTools = try #require(try GoldenCorpus.templates["Qwen-Qwen2.5-7B-Instruct"]?.get())
        let without = try #require(try GoldenCorpus.templates["google-gemma-2-2b-it"]?.get())
        #expect(withTools.readsTools)
        #expect(!without.readsTools)
        #expect(without.referencedVariables.isSuperset(of: ["messages", "bos_token", "add_generation_prompt"]))
    }

    @Test func strftimeNowFormatsTheGivenLocalTime() throws {
        let template = try ChatTemplate(source: "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %j') }}")
        let instant = Date(timeIntervalSince1970: 1_785_024_000)  // 2026-07-26T00:00:00Z
        let utc = try #require(TimeZone(identifier: "UTC"))
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(try template.render([], date: TemplateDate(instant, timeZone: utc)) == "2026-07-26 00:00:00 Sun 207")
        #expect(try template.render([], date: TemplateDate(instant, timeZone: tokyo)) == "2026-07-26 09:00:00 Sun 207")
    }
}
