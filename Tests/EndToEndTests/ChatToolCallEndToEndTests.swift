import Foundation
import Testing
import TestSupport

/// Tool calls through the real binary. The served model is
/// Tests/Fixtures/chat/tool-caller: a one-layer Llama whose hand-set weights
/// make its greedy output, after any ordinary token, the Hermes call
/// `<tool_call>{"name":"get_weather","arguments":{"city":"Rome"}}</tool_call>`
/// then eos (make_tool_caller.py says how; the tiny trained fixtures never
/// learned to call tools). Everything after the weights is the daemon's own
/// path: forward pass, sampling, decoding, the tool-call reader, the response.
/// The template is Qwen2.5's (Hermes format, chosen by `tool_call_parser = auto`).
@Suite(.serialized) struct ChatToolCallEndToEndTests {
    static let model = Fixtures.directory.appendingPathComponent("chat/tool-caller").path
    static let qwen = ChatEndToEndTests.templates.appendingPathComponent("Qwen-Qwen2.5-7B-Instruct.jinja").path
    static let call = ["name": "get_weather", "arguments": #"{"city": "Rome"}"#]

    static func daemon(_ extra: [String] = []) throws -> LoradProcess {
        try LoradProcess(arguments: ["--model", model, "--chat-template", qwen] + extra)
    }

    static func request(_ conversation: ChatEndToEndTests.Conversation, _ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = ["messages": conversation.messages, "tools": conversation.tools ?? [], "temperature": 0]
        for (k, v) in extra { body[k] = v }
        return body
    }

    @Test func aHermesCallInTheOutputComesBackAsToolCalls() throws {
        let conversation = try ChatEndToEndTests.conversation("qwen-tools")
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        // The history's call (arguments sent as a JSON string) renders as jinja2 renders the parsed object.
        let applied = try ChatEndToEndTests.post(daemon, "/apply-template", ["messages": conversation.messages, "tools": conversation.tools ?? []])
        #expect(applied["prompt"] as? String == conversation.prompt)

        let whole = try ChatEndToEndTests.chat(daemon, Self.request(conversation))
        let choice = try #require((whole["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["content"] is NSNull)
        let calls = try #require(message["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1)
        #expect(calls.first?["type"] as? String == "function")
        #expect((calls.first?["id"] as? String)?.hasPrefix("call_") == true)
        #expect(calls.first?["function"] as? [String: String] == Self.call)

        let r = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions", Self.request(conversation, ["stream": true]))
        let events = try ChatEndToEndTests.events(r.text)
        let deltas = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
        let streamedCalls = deltas.compactMap { $0["tool_calls"] as? [[String: Any]] }
        #expect(streamedCalls.count == 1, "the call arrives whole, in one delta")
        #expect(streamedCalls.first?.first?["function"] as? [String: String] == Self.call)
        #expect(streamedCalls.first?.first?["index"] as? Int == 0)
        #expect(deltas.allSatisfy { ($0["content"] as? String ?? "").isEmpty })
        #expect(ChatEndToEndTests.streamedChoices(events)[0]?.finish == "tool_calls")
    }

    @Test func withoutToolsOrWithToolChoiceNoneTheOutputIsText() throws {
        let conversation = try ChatEndToEndTests.conversation("qwen-tools")
        let raw = #"<tool_call>{"name":"get_weather","arguments":{"city":"Rome"}}</tool_call>"#
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let none = try ChatEndToEndTests.chat(daemon, Self.request(conversation, ["tool_choice": "none"]))
        #expect(try ChatEndToEndTests.contents(none) == [raw])
        let plain = try ChatEndToEndTests.chat(daemon, ["messages": [["role": "user", "content": "Weather?"]], "temperature": 0])
        #expect(try ChatEndToEndTests.contents(plain) == [raw])
        let off = try Self.daemon(["--tool-call-parser", "none"])
        defer { off.cleanUp() }
        #expect(try ChatEndToEndTests.contents(ChatEndToEndTests.chat(off, Self.request(conversation))) == [raw])
    }

    /// Chat stops at the tokenizer's eos as well as at generation_config.json's
    /// ids: a copy of the model whose tokenizer calls `</tool_call>` its eos
    /// (generation_config.json still says `<|end_of_text|>`) ends the chat
    /// turn before it, while completions (the model's ids only) run on.
    @Test func chatStopsAtTheTokenizersEosToo() throws {
        let conversation = try ChatEndToEndTests.conversation("qwen-tools")
        let copy = try Fixtures.temporaryDirectory("tool-caller").appendingPathComponent("tool-caller")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.model), to: copy)
        let config = copy.appendingPathComponent("tokenizer_config.json")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"<|end_of_text|>\"", with: "\"</tool_call>\"")
        try Data(text.utf8).write(to: config)
        let daemon = try LoradProcess(arguments: ["--model", copy.path, "--chat-template", Self.qwen])
        defer { daemon.cleanUp() }
        let chat = try ChatEndToEndTests.chat(daemon, Self.request(conversation))
        #expect((chat["usage"] as? [String: Any])?["completion_tokens"] as? Int == 3)   // the stop token counts, as in completions
        let message = try #require((chat["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
        #expect((message["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: String] == Self.call,
                "a call cut before </tool_call> by eos is still a whole call")
        let ids = try #require(try ChatEndToEndTests.post(daemon, "/tokenize", ["messages": conversation.messages,
                                                                              "tools": conversation.tools ?? []])["tokens"] as? [Int])
        let completion = try ServingEndToEndTests.complete(daemon, prompt: "", fields: ["prompt": ids])
        #expect((completion.json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 4)
    }

    static let clientScript = """
    import json, sys
    import openai
    base, request = sys.argv[1], json.loads(sys.stdin.read())
    client = openai.OpenAI(base_url=base + "/v1", api_key="not-needed", max_retries=0, timeout=60)
    whole = client.chat.completions.create(model="tool-caller", **request)
    call = whole.choices[0].message.tool_calls[0]
    streamed = []
    for chunk in client.chat.completions.create(model="tool-caller", stream=True, **request):
        for c in chunk.choices:
            for t in c.delta.tool_calls or []:
                streamed.append({"name": t.function.name, "arguments": t.function.arguments})
    print(json.dumps({"name": call.function.name, "arguments": call.function.arguments,
                      "finish": whole.choices[0].finish_reason, "streamed": streamed}))
    """

    @Test(.enabled(if: ChatEndToEndTests.clientInstalled, "needs `pip install openai`"))
    func theOfficialClientReadsTheToolCall() throws {
        let conversation = try ChatEndToEndTests.conversation("qwen-tools")
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let input = String(decoding: try JSONSerialization.data(withJSONObject: Self.request(conversation)), as: UTF8.self)
        let run = try ExternalTool.run(try #require(ChatEndToEndTests.python), ["-c", Self.clientScript, daemon.baseURL], stdin: input)
        try #require(run.status == 0, "python failed: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["name"] as? String == Self.call["name"] && json["arguments"] as? String == Self.call["arguments"])
        #expect(json["finish"] as? String == "tool_calls")
        #expect(json["streamed"] as? [[String: String]] == [Self.call])
    }
}
