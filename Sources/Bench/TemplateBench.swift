import ChatTemplating
import CLI
import Foundation
import OrderedJSON

/// `lorad-bench template`: chat-template rendering speed. A 10-message
/// conversation with two tools through the Llama 3.3 and Qwen3 templates,
/// each parsed once and then rendered many times (as a server caches parsed
/// templates).
enum TemplateBench {
    static let usage = """
    usage: lorad-bench template [--templates DIR]
      --templates DIR  the chat templates (default: the checkout's Tests/Fixtures/chat-templates/templates)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["templates"])
        guard let directory = a.value("templates").map({ URL(fileURLWithPath: $0) }) ?? defaultDirectory() else {
            throw UsageError.missing("--templates DIR (no checkout's Tests/Fixtures/chat-templates/templates found)")
        }
        var report = BenchReport()
        try run(directory: directory, report: &report)
        print(report.markdown)
    }

    /// The templates, from the repository's golden corpus.
    static let templates = ["meta-llama-Llama-3.3-70B-Instruct", "Qwen-Qwen3-0.6B"]

    /// The corpus folder of a checkout, found next to the bundled model.
    static func defaultDirectory() -> URL? {
        guard let model = ModelLocator.defaultModel() else { return nil }
        let dir = model.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/chat-templates/templates")
        return FileManager.default.fileExists(atPath: dir.path) ? dir : nil
    }

    static func run(directory: URL, report: inout BenchReport) throws {
        let input = conversation()
        let date = TemplateDate(year: 2026, month: 7, day: 26)
        for name in templates {
            let source = try String(contentsOf: directory.appendingPathComponent(name + ".jinja"), encoding: .utf8)
            var parseBest = Double.infinity
            var template = try ChatTemplate(source: source)
            for _ in 0..<20 {
                let start = ContinuousClock.now
                template = try ChatTemplate(source: source)
                parseBest = min(parseBest, (ContinuousClock.now - start).seconds)
            }
            report.add("parse \(name) (\(source.utf8.count) bytes)", "\(format(parseBest * 1e6)) µs", "once per template")

            var bytes = 0
            for _ in 0..<50 { bytes = try template.render(input, date: date).utf8.count }  // warm-up
            var samples: [Double] = []
            for _ in 0..<15 {
                let start = ContinuousClock.now
                for _ in 0..<100 { _ = try template.render(input, date: date) }
                samples.append((ContinuousClock.now - start).seconds / 100)
            }
            samples.sort()
            let median = samples[samples.count / 2]
            report.add("render \(name), 10 messages + 2 tools (\(bytes) bytes out)", "\(format(median * 1e6)) µs",
                       "median of 15 batches of 100 (fastest batch \(format(samples[0] * 1e6)) µs); \(format(median * 1e3, 3)) of the 1 ms target")
        }
    }

    /// System prompt, two user turns, two tool calls with their results and
    /// the assistant's answers: the shapes every tool-using client sends.
    static func conversation() -> ChatTemplateInput {
        func object(_ members: JSONValue.Members) -> JSONValue { .object(members) }
        func tool(_ name: String, _ description: String, _ properties: JSONValue.Members, required: [String]) -> JSONValue {
            object([("type", .string("function")), ("function", object([
                ("name", .string(name)), ("description", .string(description)),
                ("parameters", object([("type", .string("object")), ("properties", object(properties)),
                                       ("required", .array(required.map { .string($0) }))])),
            ]))])
        }
        func string(_ description: String) -> JSONValue { object([("type", .string("string")), ("description", .string(description))]) }
        let tools: JSONValue = .array([
            tool("get_weather", "Get the current weather in a city.",
                 [("city", string("City name, e.g. Zürich")),
                  ("unit", object([("type", .string("string")), ("enum", .array([.string("celsius"), .string("fahrenheit")]))]))],
                 required: ["city"]),
            tool("search", "Search the web and return the top results.",
                 [("query", string("What to search for")), ("limit", object([("type", .string("integer")), ("default", .integer(5))]))],
                 required: ["query"]),
        ])
        func message(_ role: String, _ content: String) -> JSONValue { object([("role", .string(role)), ("content", .string(content))]) }
        func call(_ id: String, _ name: String, _ arguments: JSONValue.Members) -> JSONValue {
            object([("role", .string("assistant")), ("content", .string("")), ("tool_calls", .array([object([
                ("id", .string(id)), ("type", .string("function")),
                ("function", object([("name", .string(name)), ("arguments", object(arguments))])),
            ])]))])
        }
        func result(_ id: String, _ name: String, _ content: String) -> JSONValue {
            object([("role", .string("tool")), ("tool_call_id", .string(id)), ("name", .string(name)), ("content", .string(content))])
        }
        let messages: JSONValue = .array([
            message("system", "You are a helpful assistant. Answer briefly and use tools when they help."),
            message("user", "What's the weather like in Zürich today?"),
            call("call00001", "get_weather", [("city", .string("Zürich")), ("unit", .string("celsius"))]),
            result("call00001", "get_weather", "{\"temperature\": 21.5, \"conditions\": \"sunny\"}"),
            message("assistant", "It is sunny in Zürich, 21.5 °C."),
            message("user", "Great. Find me three hiking trails nearby."),
            call("call00002", "search", [("query", .string("hiking trails near Zürich")), ("limit", .integer(3))]),
            result("call00002", "search", "[\"Uetliberg\", \"Felsenegg\", \"Albis ridge\"]"),
            message("assistant", "Uetliberg, Felsenegg and the Albis ridge are all close by."),
            message("user", "Which one is best for a two-hour walk?"),
        ])
        return ChatTemplateInput(messages: messages, tools: tools, addGenerationPrompt: true,
                                 specialTokens: [("bos_token", "<|begin_of_text|>"), ("eos_token", "<|eot_id|>")])
    }
}
