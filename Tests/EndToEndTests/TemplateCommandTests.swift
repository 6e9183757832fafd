import Foundation
import OrderedJSON
import Testing
import TestSupport

/// `lorad template render` on golden cases, run as the real binary: the
/// rendering on stdout byte for byte, or exit 1 with `raise_exception`'s
/// message as stderr's last line.
@Suite struct TemplateCommandTests {
    static let corpus = Fixtures.directory.appendingPathComponent("chat-templates")

    static let cases: [JSONValue] = {
        let data = (try? Data(contentsOf: corpus.appendingPathComponent("goldens.json"))) ?? Data()
        return (try? JSONValue.parse(data))?["cases"]?.arrayValue ?? []
    }()

    /// The first golden case of `template` in `context`.
    private func golden(_ template: String, _ context: String, generation: Bool = true) throws -> JSONValue {
        try #require(Self.cases.first {
            $0["template"]?.stringValue == template && $0["context_name"]?.stringValue == context
                && $0["add_generation_prompt"]?.boolValue == generation
        })
    }

    /// Renders `golden`'s conversation with its own template, or with `source` when given.
    private func render(_ golden: JSONValue, source: String? = nil, now: String? = "2026-07-26") throws -> ExternalTool.Result {
        let dir = try Fixtures.temporaryDirectory("lorad-template")
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = dir.appendingPathComponent("case.json")
        try golden.serialized().write(to: context, atomically: true, encoding: .utf8)
        var template = Self.corpus.appendingPathComponent(try #require(golden["template_file"]?.stringValue))
        if let source {
            template = dir.appendingPathComponent("given.jinja")
            try Data(source.utf8).write(to: template)
        }
        var args = ["template", "render", "--template", template.path, "--context", context.path]
        if let now { args += ["--now", now] }
        return try LoradBinary.run(args)
    }

    @Test(arguments: [("meta-llama-Llama-3.3-70B-Instruct", "tool_use"), ("Qwen-Qwen3-0.6B", "enable_thinking_false"),
                      ("openai-gpt-oss-120b", "multi_turn"), ("CohereForAI-c4ai-command-r7b-12-2024-tool_use", "documents_citations"),
                      ("meta-llama-Llama-3.2-3B-Instruct", "date_string"), ("HuggingFaceTB-SmolLM2-135M-Instruct", "unicode_newlines")])
    func printsTheGoldenRenderingByteExact(_ template: String, _ context: String) throws {
        let golden = try golden(template, context)
        let expected = try #require(golden["expected"]?.stringValue)
        let r = try render(golden)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == expected)
    }

    @Test func raiseExceptionExitsOneWithTheMessageAsTheLastLine() throws {
        let golden = try #require(Self.cases.first { $0["error_from_raise_exception"]?.boolValue == true })
        let message = try #require(golden["error"]?.stringValue)
        let r = try render(golden)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "" && lines.dropLast().last.map(String.init) == message, "stderr: \(r.stderr)")
    }

    @Test func otherTemplateErrorsExitOneNamingThePosition() throws {
        let golden = try #require(Self.cases.first { $0["error_type"]?.stringValue == "UndefinedError" })
        let r = try render(golden)
        #expect(r.status == 1)
        #expect(r.stderr.contains("UndefinedError"), "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test(arguments: ["{{ messages" + String(repeating: ".a", count: 50_000) + " }}",
                      "{{ 1" + String(repeating: " + 1", count: 100_000) + " }}",
                      "{{ 'a'" + String(repeating: "|upper", count: 100_000) + " }}"])
    func aChainPastTheTreeDepthLimitExitsOneNamingTheLimitAndPosition(_ source: String) throws {
        let r = try render(try golden("Qwen-Qwen3-0.6B", "single_user"), source: source)
        #expect(r.status == 1, "stderr: \(r.stderr.suffix(300))")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("given.jinja:1:"), "stderr: \(r.stderr.suffix(300))")
        #expect(r.stderr.contains("LimitExceeded: expression nests deeper than 1000 levels"), "stderr: \(r.stderr.suffix(300))")
    }

    @Test func weekdaysAtBothEndsOfPythonsDatetimeRange() throws {
        let golden = try golden("Qwen-Qwen3-0.6B", "single_user")
        let source = "{{ strftime_now('%a %A %u %w %j') }}"
        // Python: date(1, 1, 1) and date(9999, 12, 31) .strftime('%a %A %u %w %j').
        #expect(try render(golden, source: source, now: "0001-01-01").stdout == "Mon Monday 1 1 001")
        #expect(try render(golden, source: source, now: "9999-12-31").stdout == "Fri Friday 5 5 365")
        #expect(try render(golden, source: source, now: "2024-02-29").stdout == "Thu Thursday 4 4 060")
    }

    @Test(arguments: ["0000-06-01", "0000-01-01", "10000-01-01", "2026-02-29", "2026-04-31", "9223372036854775807-01-01"])
    func aNowPythonsDatetimeCannotHoldIsAUsageError(_ now: String) throws {
        let r = try render(try golden("Qwen-Qwen3-0.6B", "single_user"), source: "{{ strftime_now('%A') }}", now: now)
        #expect(r.status == 2, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("0001-01-01 to 9999-12-31"), "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func withoutNowTheDateIsToday() throws {
        let golden = try golden("meta-llama-Llama-3.2-3B-Instruct", "single_user")
        let r = try render(golden, now: nil)
        #expect(r.status == 0)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd MMM yyyy"
        let today = formatter.string(from: Date())
        let yesterday = formatter.string(from: Date().addingTimeInterval(-3600))  // a run across midnight
        #expect(r.stdout.contains("Today Date: \(today)") || r.stdout.contains("Today Date: \(yesterday)"), "\(r.stdout)")
    }

    @Test func badArgumentsAreUsageErrors() throws {
        #expect(try LoradBinary.run(["template", "render", "--template", "x.jinja"]).status == 2)
        #expect(try LoradBinary.run(["template", "draw"]).status == 2)
        let golden = try golden("Qwen-Qwen3-0.6B", "single_user")
        let r = try render(golden, now: "2026-13-01")
        #expect(r.status == 2)
    }
}
