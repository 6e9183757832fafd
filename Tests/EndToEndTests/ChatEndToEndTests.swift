import Foundation
import Testing
import TestSupport

/// `/v1/chat/completions`, `/tokenize`, `/detokenize` and `/apply-template`
/// with the real binary, serving tiny-llama with SmolLM2's ChatML template
/// (`--chat-template`): compared against the prompt jinja2 renders as
/// transformers configures it (Tests/Fixtures/chat/conversations.json), the
/// completions endpoint on that prompt's ids, the tokenizer references, and
/// the daemon's own solo runs.
@Suite(.serialized) struct ChatEndToEndTests {
    static let templates = Fixtures.directory.appendingPathComponent("chat-templates/templates")
    static let smol = templates.appendingPathComponent("HuggingFaceTB-SmolLM2-135M-Instruct.jinja").path

    struct Conversation {
        let messages: [[String: Any]]
        let tools: [[String: Any]]?
        let prompt: String
    }

    /// A conversation of the fixture, with tool-call arguments as the JSON
    /// strings OpenAI clients send (the renderer was given the parsed object).
    static func conversation(_ name: String) throws -> Conversation {
        let url = Fixtures.directory.appendingPathComponent("chat/conversations.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let all = try #require(root["conversations"] as? [[String: Any]])
        let c = try #require(all.first { $0["name"] as? String == name })
        var messages = try #require(c["messages"] as? [[String: Any]])
        for i in messages.indices {
            guard var calls = messages[i]["tool_calls"] as? [[String: Any]] else { continue }
            for j in calls.indices {
                var function = try #require(calls[j]["function"] as? [String: Any])
                let arguments = try JSONSerialization.data(withJSONObject: function["arguments"] ?? [:], options: [.sortedKeys])
                function["arguments"] = String(decoding: arguments, as: UTF8.self)
                calls[j]["function"] = function
            }
            messages[i]["tool_calls"] = calls
        }
        return Conversation(messages: messages, tools: c["tools"] as? [[String: Any]], prompt: try #require(c["prompt"] as? String))
    }

    static func post(_ daemon: LoradProcess, _ path: String, _ body: [String: Any]) throws -> [String: Any] {
        let r = try Curl.postJSON(daemon.baseURL + path, body)
        try #require(r.status == 200, "\(path): \(r.status) \(r.text)")
        return try r.json()
    }

    static func chat(_ daemon: LoradProcess, _ body: [String: Any]) throws -> [String: Any] {
        try post(daemon, "/v1/chat/completions", body)
    }

    static func contents(_ response: [String: Any]) throws -> [String] {
        let choices = try #require(response["choices"] as? [[String: Any]])
        return try choices.map { try #require(($0["message"] as? [String: Any])?["content"] as? String) }
    }

    /// Every `data:` event of a stream, parsed, up to `[DONE]` (which must come last).
    static func events(_ text: String) throws -> [[String: Any]] {
        let datas = text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        #expect(datas.last == "[DONE]", "the stream ends with [DONE]")
        return try datas.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// Per choice index: the concatenated content deltas, whether its first
    /// delta carried the role, and its finish reason.
    static func streamedChoices(_ events: [[String: Any]]) -> [Int: (text: String, roleFirst: Bool, finish: String?)] {
        var out: [Int: (text: String, roleFirst: Bool, finish: String?)] = [:]
        for e in events {
            for c in e["choices"] as? [[String: Any]] ?? [] {
                let i = c["index"] as? Int ?? -1
                let delta = c["delta"] as? [String: Any] ?? [:]
                var entry = out[i] ?? (text: "", roleFirst: delta["role"] as? String == "assistant", finish: nil)
                entry.text += delta["content"] as? String ?? ""
                if let f = c["finish_reason"] as? String { entry.finish = f }
                out[i] = entry
            }
        }
        return out
    }

    @Test func chatEqualsCompletionsOnThePromptTransformersRenders() throws {
        let conversation = try Self.conversation("smollm2")
        let daemon = try LoradProcess(arguments: ["--chat-template", Self.smol])
        defer { daemon.cleanUp() }

        let applied = try Self.post(daemon, "/apply-template", ["messages": conversation.messages])
        #expect(applied["prompt"] as? String == conversation.prompt)
        let ids = try #require(try Self.post(daemon, "/tokenize", ["prompt": conversation.prompt, "add_special_tokens": false])["tokens"] as? [Int])
        let chatTokens = try Self.post(daemon, "/tokenize", ["messages": conversation.messages])
        #expect(chatTokens["tokens"] as? [Int] == ids)
        #expect(chatTokens["count"] as? Int == ids.count)
        #expect(try Self.post(daemon, "/detokenize", ["tokens": ids])["prompt"] as? String == conversation.prompt)

        let completion = try ServingEndToEndTests.complete(daemon, prompt: "", fields: ["prompt": ids])
        let whole = try Self.chat(daemon, ["messages": conversation.messages, "max_tokens": 24, "temperature": 0])
        #expect(try Self.contents(whole) == [completion.text])
        let usage = try #require(whole["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == ids.count)
        #expect(usage["completion_tokens"] as? Int == 24)
        #expect(((whole["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String) == "length")

        let r = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions", [
            "messages": conversation.messages, "max_completion_tokens": 24, "temperature": 0, "stream": true,
            "stream_options": ["include_usage": true],
        ])
        try #require(r.status == 200, "\(r.text)")
        let events = try Self.events(r.text)
        let streamed = Self.streamedChoices(events)
        #expect(streamed.count == 1)
        #expect(streamed[0]?.text == completion.text)
        #expect(streamed[0]?.roleFirst == true)
        #expect(streamed[0]?.finish == "length")
        #expect(events.dropLast().allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let last = try #require(events.last)
        #expect((last["choices"] as? [Any])?.isEmpty == true)
        let streamedUsage = try #require(last["usage"] as? [String: Any])
        #expect(streamedUsage["completion_tokens"] as? Int == 24 && streamedUsage["prompt_tokens"] as? Int == ids.count)
    }

    @Test func nSeededChoicesEachEqualTheirSoloRun() throws {
        let conversation = try Self.conversation("smollm2")
        let daemon = try LoradProcess(arguments: ["--chat-template", Self.smol])
        defer { daemon.cleanUp() }
        let base: [String: Any] = ["messages": conversation.messages, "max_tokens": 16, "temperature": 1, "top_k": 40]
        var three = base
        three["n"] = 3
        three["seed"] = 11
        let together = try Self.contents(Self.chat(daemon, three))
        var solos: [String] = []
        for i in 0..<3 {
            var solo = base
            solo["seed"] = 11 + i
            solos += try Self.contents(Self.chat(daemon, solo))
        }
        #expect(together == solos)
        #expect(Set(together).count > 1, "the three choices sample independently")
        three["stream"] = true
        let r = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions", three)
        let streamed = Self.streamedChoices(try Self.events(r.text))
        #expect((0..<3).map { streamed[$0]?.text } == solos)
        #expect((0..<3).allSatisfy { streamed[$0]?.roleFirst == true })
    }

    /// Chat logprobs (`logprobs.content[].{token, logprob, bytes, top_logprobs}`)
    /// carry the numbers completions reports for the same ids, streamed and not.
    @Test func chatLogprobsEqualCompletionsLogprobs() throws {
        let conversation = try Self.conversation("smollm2")
        let daemon = try LoradProcess(arguments: ["--chat-template", Self.smol])
        defer { daemon.cleanUp() }
        let ids = try #require(try Self.post(daemon, "/tokenize", ["messages": conversation.messages])["tokens"] as? [Int])
        let completion = try ServingEndToEndTests.complete(daemon, prompt: "", fields: ["prompt": ids, "logprobs": 2], maxTokens: 8)
        let reference = try #require((completion.json["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])
        let tokens = try #require(reference["tokens"] as? [String])
        let logprobs = try #require(reference["token_logprobs"] as? [Double])
        let body: [String: Any] = ["messages": conversation.messages, "max_tokens": 8, "temperature": 0, "logprobs": true, "top_logprobs": 2]
        let whole = try Self.chat(daemon, body)
        let entries = try #require(((whole["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
        var streamBody = body
        streamBody["stream"] = true
        let events = try Self.events(try Curl.postJSON(daemon.baseURL + "/v1/chat/completions", streamBody).text)
        let streamed = events.flatMap { e in
            (e["choices"] as? [[String: Any]] ?? []).flatMap { ($0["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? [] }
        }
        for list in [entries, streamed] {
            #expect(list.map { $0["token"] as? String ?? "?" } == tokens)
            #expect(list.map { Float($0["logprob"] as? Double ?? 1) } == logprobs.map { Float($0) })   // float32 values
            #expect(list.allSatisfy { ($0["bytes"] as? [Int]) == Array(($0["token"] as? String ?? "").utf8).map(Int.init) })
            #expect(list.allSatisfy { ($0["top_logprobs"] as? [Any])?.count == 2 })
        }
    }

    @Test func tokenizeMatchesTheTokenizerReferences() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.tokenizerReferences)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        for (n, c) in cases.enumerated() where n % 20 == 0 {
            let text = try #require(c["text"] as? String)
            let withSpecial = try Self.post(daemon, "/tokenize", ["prompt": text])
            #expect(withSpecial["tokens"] as? [Int] == c["ids"] as? [Int], "case \(n)")
            let plain = try Self.post(daemon, "/tokenize", ["prompt": text, "add_special_tokens": false])
            #expect(plain["tokens"] as? [Int] == c["ids_no_special"] as? [Int], "case \(n)")
            let ids = try #require(c["ids"] as? [Int])
            #expect(try Self.post(daemon, "/detokenize", ["tokens": ids])["prompt"] as? String == c["decoded_with_special"] as? String)
        }
        // No template configured and none in the model: chat is refused, naming the fix.
        let refused = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions", ["messages": [["role": "user", "content": "x"]]])
        #expect(refused.status == 400)
        #expect(refused.errorMessage?.contains("chat_template") == true)
        let outside = try Curl.postJSON(daemon.baseURL + "/detokenize", ["tokens": [5_000_000]])
        #expect(outside.status == 400 && outside.errorMessage?.contains("tokens[0]") == true)
    }

    @Test func adaptersAreNamedAsInCompletionsAndBadRequestsNameTheMember() throws {
        let conversation = try Self.conversation("smollm2")
        let daemon = try LoradProcess(arguments: ["--chat-template", Self.smol])
        defer { daemon.cleanUp() }
        try ServingEndToEndTests.uploadFixtures(daemon)
        let ids = try #require(try Self.post(daemon, "/tokenize", ["messages": conversation.messages])["tokens"] as? [Int])
        for adapter in ["upper-all-r4", "python-qv-r8:0.5,upper-all-r4:0.5"] {
            let completion = try ServingEndToEndTests.complete(daemon, prompt: "", fields: ["prompt": ids, "adapter": adapter])
            let viaModel = try Self.chat(daemon, ["model": adapter, "messages": conversation.messages, "max_tokens": 24, "temperature": 0])
            #expect(try Self.contents(viaModel) == [completion.text], "\(adapter)")
            #expect(viaModel["model"] as? String == adapter)
            let r = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions?adapter=\(adapter)",
                                      ["messages": conversation.messages, "max_tokens": 24, "temperature": 0])
            #expect(try Self.contents(r.json()) == [completion.text], "\(adapter)")
        }
        let missing = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions", ["model": "no-such", "messages": conversation.messages])
        #expect(missing.status == 404)
        // The endpoints that only render or count name adapters the same way:
        // an unknown one is 404 there too, not a rendering with the base's template.
        for path in ["/tokenize", "/apply-template"] {
            for body: [String: Any] in [["model": "no-such", "messages": conversation.messages],
                                        ["adapter": "no-such", "messages": conversation.messages],
                                        ["adapter": "upper-all-r4,no-such", "prompt": "hi"]] where path == "/tokenize" || body["messages"] != nil {
                let r = try Curl.postJSON(daemon.baseURL + path, body)
                #expect(r.status == 404 && r.errorMessage?.contains("no-such") == true, "\(path) \(body.keys.sorted())")
            }
            let known = try Curl.postJSON(daemon.baseURL + path + "?adapter=upper-all-r4", ["messages": conversation.messages])
            #expect(known.status == 200, "\(path)")
        }
        let format = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions",
                                       ["messages": conversation.messages, "response_format": ["type": "json_object"]])
        #expect(format.status == 400 && format.errorMessage?.contains("response_format.type") == true)
    }

    static let python = ExternalTool.find("python3")
    static let clientInstalled: Bool = {
        guard let python else { return false }
        return (try? ExternalTool.run(python, ["-c", "import openai"]).status) == 0
    }()

    static let clientScript = """
    import json, sys
    import openai
    base, messages = sys.argv[1], json.loads(sys.stdin.read())
    client = openai.OpenAI(base_url=base + "/v1", api_key="not-needed", max_retries=0, timeout=60)
    whole = client.chat.completions.create(model="tiny-llama", messages=messages, max_tokens=20, temperature=0)
    pieces, roles, usage = [], [], None
    for chunk in client.chat.completions.create(model="tiny-llama", messages=messages, max_tokens=20, temperature=0,
                                                stream=True, stream_options={"include_usage": True}):
        if chunk.usage:
            usage = chunk.usage.completion_tokens
        for c in chunk.choices:
            if c.delta.role:
                roles.append(c.delta.role)
            if c.delta.content:
                pieces.append(c.delta.content)
    print(json.dumps({"content": whole.choices[0].message.content, "role": whole.choices[0].message.role,
                      "finish": whole.choices[0].finish_reason, "tokens": whole.usage.completion_tokens,
                      "streamed": "".join(pieces), "roles": roles, "streamed_usage": usage}))
    """

    @Test(.enabled(if: clientInstalled, "needs `pip install openai`"))
    func theOfficialClientChatsStreamedAndNot() throws {
        let conversation = try Self.conversation("smollm2")
        let daemon = try LoradProcess(arguments: ["--chat-template", Self.smol])
        defer { daemon.cleanUp() }
        let expected = try Self.contents(Self.chat(daemon, ["messages": conversation.messages, "max_tokens": 20, "temperature": 0]))
        let input = String(decoding: try JSONSerialization.data(withJSONObject: conversation.messages), as: UTF8.self)
        let run = try ExternalTool.run(try #require(Self.python), ["-c", Self.clientScript, daemon.baseURL], stdin: input)
        try #require(run.status == 0, "python failed: \(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["content"] as? String == expected.first)
        #expect(json["streamed"] as? String == expected.first)
        #expect(json["role"] as? String == "assistant" && json["roles"] as? [String] == ["assistant"])
        #expect(json["finish"] as? String == "length" && json["tokens"] as? Int == 20 && json["streamed_usage"] as? Int == 20)
    }
}
