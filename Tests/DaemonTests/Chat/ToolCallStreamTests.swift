import Foundation
import Testing
import TestSupport
@testable import Daemon

/// Reading tool calls out of model output: the Hermes and Llama 3 JSON
/// formats, whole and piece by piece (the streamed reading must release the
/// same text and calls as the whole one), and what is not a call.
struct ToolCallStreamTests {
    typealias Output = ToolCallStream.Output

    func whole(_ text: String, _ format: ToolCallFormat) -> [Output] {
        var s = ToolCallStream(format: format)
        return s.feed(text) + s.finish()
    }

    /// One character at a time, adjacent content pieces merged (pieces are
    /// released as early as possible, so they split differently).
    func piecewise(_ text: String, _ format: ToolCallFormat) -> [Output] {
        var s = ToolCallStream(format: format)
        var out: [Output] = []
        for c in text { out += s.feed(String(c)) }
        return merged(out + s.finish())
    }

    func merged(_ outputs: [Output]) -> [Output] {
        var out: [Output] = []
        for o in outputs {
            if case .content(let b) = o, case .content(let a)? = out.last {
                out[out.count - 1] = .content(a + b)
            } else {
                out.append(o)
            }
        }
        return out
    }

    static let hermesCases: [String] = [
        "I'll check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
        "<tool_call>{\"name\":\"a\",\"arguments\":{}}</tool_call>\n<tool_call>{\"name\":\"b\",\"arguments\":{\"x\":[1,2]}}</tool_call>",
        "no calls here, only a < sign and <tool_ca",
        "<tool_call>{\"name\": \"f\", \"arguments\": {\"q\": \"é</tool\"}}",
        "<tool_call>not json</tool_call> after",
    ]

    @Test func hermesCallsComeOutWithPythonJSONArguments() {
        let out = whole(Self.hermesCases[0], .hermes)
        #expect(out == [.content("I'll check.\n"),
                        .call(ParsedToolCall(name: "get_weather", arguments: #"{"city": "Paris"}"#))])
        let two = whole(Self.hermesCases[1], .hermes)
        #expect(two == [.call(ParsedToolCall(name: "a", arguments: "{}")), .content("\n"),
                        .call(ParsedToolCall(name: "b", arguments: #"{"x": [1, 2]}"#))])
    }

    @Test func hermesTextThatIsNotACallStaysText() {
        #expect(merged(whole(Self.hermesCases[2], .hermes)) == [.content(Self.hermesCases[2])])
        #expect(merged(whole(Self.hermesCases[4], .hermes)) == [.content(Self.hermesCases[4])])
    }

    @Test func anUnterminatedCallAtTheEndIsStillACall() {
        #expect(whole(Self.hermesCases[3], .hermes) == [.call(ParsedToolCall(name: "f", arguments: #"{"q": "é</tool"}"#))])
    }

    @Test(arguments: hermesCases)
    func hermesStreamedEqualsWhole(_ text: String) {
        #expect(piecewise(text, .hermes) == merged(whole(text, .hermes)))
    }

    @Test func hermesReleasesPlainTextAtOnceAndHoldsOnlyATagPrefix() {
        var s = ToolCallStream(format: .hermes)
        #expect(s.feed("Hello <to") == [.content("Hello ")])
        #expect(s.feed("day") == [.content("<today")])
    }

    static let llamaCases: [String] = [
        #"{"name": "get_weather", "parameters": {"city": "Paris"}}"#,
        "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"arguments\": {\"n\": 1.5}}",
        "  The weather is fine {not a call}",
        #"{"name": "f", "parameters": {"x": "}"}} trailing words"#,
    ]

    @Test func llamaJSONCallsComeOut() {
        #expect(whole(Self.llamaCases[0], .llama3JSON) == [.call(ParsedToolCall(name: "get_weather", arguments: #"{"city": "Paris"}"#))])
        #expect(whole(Self.llamaCases[1], .llama3JSON) == [.call(ParsedToolCall(name: "a", arguments: "{}")),
                                                           .call(ParsedToolCall(name: "b", arguments: #"{"n": 1.5}"#))])
        #expect(merged(whole(Self.llamaCases[2], .llama3JSON)) == [.content(Self.llamaCases[2])])
        #expect(merged(whole(Self.llamaCases[3], .llama3JSON)) == [.content(Self.llamaCases[3])])
    }

    @Test(arguments: llamaCases)
    func llamaStreamedEqualsWhole(_ text: String) {
        #expect(piecewise(text, .llama3JSON) == merged(whole(text, .llama3JSON)))
    }

    @Test func llamaPlainAnswersStreamAtOnce() {
        var s = ToolCallStream(format: .llama3JSON)
        #expect(s.feed("Sure") == [.content("Sure")])
        #expect(s.feed(", here") == [.content(", here")])
    }

    @Test func theFormatIsDetectedFromRealTemplates() throws {
        let folder = Fixtures.directory.appendingPathComponent("chat-templates/templates")
        func detect(_ file: String) throws -> ToolCallFormat? {
            ToolCallFormat.detect(in: [try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)])
        }
        #expect(try detect("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja") == .hermes)
        #expect(try detect("Qwen-Qwen2.5-7B-Instruct.jinja") == .hermes)
        #expect(try detect("Qwen-Qwen3-0.6B.jinja") == .hermes)
        #expect(try detect("meta-llama-Llama-3.2-3B-Instruct.jinja") == .llama3JSON)
        #expect(try detect("meta-llama-Llama-3.3-70B-Instruct.jinja") == .llama3JSON)
        #expect(try detect("HuggingFaceTB-SmolLM2-135M-Instruct.jinja") == nil)
        #expect(ToolCallParserSetting(rawValue: "none")?.format(for: ["<tool_call>"]) == nil)
        #expect(ToolCallParserSetting(rawValue: "llama3_json")?.format(for: ["<tool_call>"]) == .llama3JSON)
        #expect(ToolCallParserSetting(rawValue: "json") == nil)
    }
}
