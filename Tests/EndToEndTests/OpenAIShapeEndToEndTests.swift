import Foundation
import Testing
import TestSupport

/// What an OpenAI client reads back from the real daemon beyond the text:
/// the `model` that was served, ids, the streamed usage chunk, retrieving a
/// model, and 4xx answers that name the problem (a second black-box hunt's
/// findings, each reproduced here).
@Suite struct OpenAIShapeEndToEndTests {
    static let smol = ChatEndToEndTests.smol
    /// A template that renders assistant tool calls (SmolLM2's reads every message's content).
    static let qwen = ChatEndToEndTests.templates.appendingPathComponent("Qwen-Qwen2.5-7B-Instruct.jinja").path

    static func daemon(_ extra: [String] = [], template: String = smol) throws -> (LoradProcess, KeepAliveClient) {
        let daemon = try LoradProcess(arguments: ["--chat-template", template] + extra)
        let fixture = try HardeningEndToEndTests.fixture("python-qv-r8")
        let client = KeepAliveClient(port: daemon.port)
        // (Its admin header goes unchecked: this daemon has no admin token.)
        let upload = try HardeningEndToEndTests.upload(client, name: "python", config: fixture.config, weights: fixture.weights)
        try #require(upload.status == 201, "upload: \(upload.text)")
        return (daemon, client)
    }

    static func object(_ r: KeepAliveClient.Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any], "not a JSON object: \(r.text)")
    }

    static func message(_ r: KeepAliveClient.Response) throws -> String {
        try #require((try object(r)["error"] as? [String: Any])?["message"] as? String, "no error message: \(r.text)")
    }

    /// `data:` payloads of an SSE body, `[DONE]` included.
    static func events(_ r: KeepAliveClient.Response) -> [String] {
        r.text.split(separator: "\n").compactMap { $0.hasPrefix("data: ") ? String($0.dropFirst(6)) : nil }
    }

    @Test func theResponseNamesTheModelThatWasServedNotTheOneOverridden() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        let prompt = #""prompt": "def f(n):", "max_tokens": 6, "temperature": 0"#
        let python = try client.post("/v1/completions?adapter=python", json: "{\(prompt)}")
        let overridden = try client.post("/v1/completions?adapter=python", json: #"{\#(prompt), "model": "gpt-4o"}"#)
        try #require(python.status == 200 && overridden.status == 200, "\(python.text) \(overridden.text)")
        #expect(try Self.object(overridden)["model"] as? String == "python")
        #expect((try Self.object(overridden)["choices"] as? [[String: Any]])?.first?["text"] as? String
                == (try Self.object(python)["choices"] as? [[String: Any]])?.first?["text"] as? String)
        // The spec in canonical form: surrounding blanks gone, the weight as a number.
        let weighted = try client.post("/v1/completions", json: #"{\#(prompt), "adapter": " python : 0.50"}"#)
        #expect(try Self.object(weighted)["model"] as? String == "python:0.5", "\(weighted.text)")
        let base = try client.post("/v1/completions", json: #"{\#(prompt), "model": "tiny-llama"}"#)
        #expect(try Self.object(base)["model"] as? String == "tiny-llama")
    }

    @Test func malformedWeightsAreRefusedNamingTheWeight() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        let body = #"{"prompt": "hi", "max_tokens": 2}"#
        for (weight, words) in [("0x1p3", "not a decimal number"), ("nan", "not a decimal number"),
                                ("1e40", "out of range"), ("", "not a decimal number")] {
            let r = try client.post("/v1/completions?adapter=python:\(weight)", json: body)
            #expect(r.status == 400, "python:\(weight): \(r.status)")
            #expect(try Self.message(r).contains(words), "python:\(weight): \(r.text)")
        }
        // Named through "model", a broken spec is an unknown model that says what was wrong with it.
        let viaModel = try client.post("/v1/completions", json: #"{"prompt": "hi", "model": "python:nan"}"#)
        #expect(viaModel.status == 404)
        #expect(try Self.message(viaModel).contains("weight 'nan' of 'python'"), "\(viaModel.text)")
    }

    @Test func idsHaveOneLength() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        var lengths = Set<Int>()
        for _ in 0..<24 {
            let r = try client.post("/v1/completions", json: #"{"prompt": "hi", "max_tokens": 1}"#)
            let id = try #require(try Self.object(r)["id"] as? String)
            #expect(id.hasPrefix("cmpl-") && id.dropFirst(5).allSatisfy(\.isHexDigit), "\(id)")
            lengths.insert(id.count)
        }
        // 96 random bits in 24 digits: an unpadded part would shorten 1 id in 16 per part.
        #expect(lengths == [5 + 24])
    }

    @Test func aStreamedCompletionReportsUsageOnlyWhenAskedInAChunkOfItsOwn() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        let request = #""prompt": "def f(n):", "max_tokens": 7, "temperature": 0"#
        let whole = try Self.object(try client.post("/v1/completions", json: "{\(request)}"))
        let expected = try #require(whole["usage"] as? [String: Int])

        let plain = Self.events(try client.post("/v1/completions", json: #"{\#(request), "stream": true}"#))
        #expect(plain.last == "[DONE]")
        for event in plain.dropLast() {
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            #expect(chunk["usage"] == nil || chunk["usage"] is NSNull, "usage without include_usage: \(event)")
        }

        let asked = Self.events(try client.post("/v1/completions",
            json: #"{\#(request), "stream": true, "stream_options": {"include_usage": true}}"#))
        try #require(asked.count >= 3 && asked.last == "[DONE]", "\(asked)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(asked[asked.count - 2].utf8)) as? [String: Any])
        #expect((last["choices"] as? [Any])?.isEmpty == true, "the usage chunk has no choices: \(last)")
        #expect(last["usage"] as? [String: Int] == expected)
        for event in asked.dropLast(2) {
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            #expect(chunk["usage"] == nil || chunk["usage"] is NSNull, "usage before the last chunk: \(event)")
            #expect((chunk["choices"] as? [Any])?.count == 1)
        }
    }

    @Test func aCompletionEndingOnEOSListsEveryTokenItCounts() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        // Sampled runs of the demo model end on its EOS within a few hundred
        // tokens; take the first seed that does.
        var found: (request: String, choice: [String: Any], usage: [String: Int])?
        for seed in 0..<32 where found == nil {
            let request = #""prompt": "hi", "max_tokens": 400, "temperature": 1.2, "seed": \#(seed), "logprobs": 1"#
            let json = try Self.object(try client.post("/v1/completions", json: "{\(request)}"))
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            if choice["finish_reason"] as? String == "stop" {
                found = (request, choice, try #require(json["usage"] as? [String: Int]))
            }
        }
        let (request, choice, usage) = try #require(found, "no seed ended on EOS")
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        let tokens = try #require(logprobs["tokens"] as? [String])
        let text = try #require(choice["text"] as? String)
        #expect(tokens.count == usage["completion_tokens"])
        #expect(!tokens.isEmpty && !text.hasSuffix(tokens[tokens.count - 1]), "the EOS is listed, not in the text")
        #expect((logprobs["text_offset"] as? [Int])?.last == text.unicodeScalars.count)
        // Streamed, the same entries arrive chunk by chunk.
        var streamed = 0
        for event in Self.events(try client.post("/v1/completions", json: #"{\#(request), "stream": true}"#)).dropLast() {
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            let piece = ((chunk["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])?["tokens"] as? [String]
            streamed += piece?.count ?? 0
        }
        #expect(streamed == tokens.count)
    }

    @Test func textThatTokenizesPastTheEmbeddingIsRefusedNamingBothFiles() throws {
        // The demo model with one more added token than config.json's
        // vocab_size has rows for.
        let copy = try Fixtures.temporaryDirectory("lorad-vocab").appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.tinyLlama, to: copy)
        let file = copy.appendingPathComponent("tokenizer.json")
        var tokenizer = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var added = try #require(tokenizer["added_tokens"] as? [[String: Any]])
        let vocab = try #require(added.compactMap { $0["id"] as? Int }.max()) + 1
        added.append(["id": vocab, "content": "<|extra|>", "single_word": false, "lstrip": false, "rstrip": false,
                      "normalized": false, "special": true])
        tokenizer["added_tokens"] = added
        try FileManager.default.removeItem(at: file)
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: file)
        let daemon = try LoradProcess(arguments: ["--model", copy.path, "--chat-template", Self.smol], logLevel: "info")
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        #expect(daemon.stderr.contains("past config.json's vocab_size \(vocab)"), "the start-up warning")
        #expect(try client.post("/v1/completions", json: #"{"prompt": "hi", "max_tokens": 1}"#).status == 200)
        for (path, body) in [("/v1/completions", #"{"prompt": "hi <|extra|>", "max_tokens": 1}"#),
                             ("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "<|extra|>"}], "max_tokens": 1}"#)] {
            let r = try client.post(path, json: body)
            #expect(r.status == 400, "\(path): \(r.status)")
            let message = try Self.message(r)
            #expect(message.contains("token id \(vocab)") && message.contains("<|extra|>") && message.contains("tokenizer.json"),
                    "\(path): \(message)")
        }
    }

    @Test func aModelCanBeRetrievedByItsID() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        let adapter = try client.request("GET", "/v1/models/python")
        #expect(adapter.status == 200)
        #expect(try Self.object(adapter)["id"] as? String == "python")
        #expect(try Self.object(adapter)["parent"] as? String == "tiny-llama")
        let base = try client.request("GET", "/v1/models/tiny-llama")
        #expect(try Self.object(base)["id"] as? String == "tiny-llama")
        #expect(try Self.object(base)["parent"] is NSNull)
        #expect(try client.request("GET", "/v1/models/no-such-model").status == 404)
        #expect(try client.request("GET", "/v1/models/org/no-such-model").status == 404)
    }

    @Test func moreChoicesThanTheQueueHoldsIsTheRequestsFault() throws {
        let (daemon, client) = try Self.daemon(["--max-queue", "2"])
        defer { daemon.cleanUp() }
        let chat = { (n: Int) in
            try client.post("/v1/chat/completions",
                            json: #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "n": \#(n)}"#)
        }
        let tooMany = try chat(3)
        #expect(tooMany.status == 400)
        #expect(tooMany.header("Retry-After") == nil)
        #expect(try Self.message(tooMany).contains("max_queue"), "\(tooMany.text)")
        #expect(try chat(2).status == 200)
    }

    @Test func conversationsMissingContentOrShadowingTheirMembersAreRefusedByName() throws {
        let (daemon, client) = try Self.daemon(template: Self.qwen)
        defer { daemon.cleanUp() }
        let cases: [(String, String)] = [
            (#"{"messages": [{"role": "user"}]}"#, "messages[0].content"),
            (#"{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": null}]}"#, "messages[1].content"),
            (#"{"messages": [{"role": "assistant"}]}"#, "messages[0].content"),
            (#"{"messages": [{"role": "user", "content": "hi"}], "chat_template_kwargs": {"messages": []}}"#,
             "chat_template_kwargs.messages"),
            (#"{"messages": [{"role": "user", "content": "hi"}], "chat_template_kwargs": {"add_generation_prompt": false}}"#,
             "chat_template_kwargs.add_generation_prompt"),
        ]
        for (body, field) in cases {
            let r = try client.post("/v1/chat/completions", json: body)
            #expect(r.status == 400, "\(body): \(r.status)")
            let message = try Self.message(r)
            #expect(message.contains(field), "\(body): \(message)")
        }
        // An assistant turn with tool calls needs no content.
        let toolTurn = #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": "#
            + #"[{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, "#
            + #"{"role": "tool", "tool_call_id": "c", "content": "1"}], "max_tokens": 1}"#
        #expect(try client.post("/v1/chat/completions", json: toolTurn).status == 200)
    }

    @Test func errorsNameWhatWasSent() throws {
        let (daemon, client) = try Self.daemon()
        defer { daemon.cleanUp() }
        let encoded = try client.request("GET", "/v1%2Fmodels")
        #expect(encoded.status == 404)
        #expect(try Self.message(encoded).contains("/v1%2Fmodels"), "\(encoded.text)")
        let array = try client.post("/v1/completions", json: "[1]")
        #expect(array.status == 400)
        #expect(try Self.message(array).contains("the top-level JSON value must be a JSON object"), "\(array.text)")
        // GET on a merge path reads as the hub id NAME/merge: the 404 says how to merge.
        let merge = try client.request("GET", "/adapters/python/merge")
        #expect(merge.status == 404)
        #expect(try Self.message(merge).contains("POST /adapters/python/merge"), "\(merge.text)")
        // One value per query parameter: which of two would count is a guess.
        for (path, name) in [("/v1/completions?adapter=python&adapter=nope", "adapter"),
                             ("/adapters?limit=1&after=a&limit=2", "limit")] {
            let r = path.hasPrefix("/v1") ? try client.post(path, json: #"{"prompt": "hi", "max_tokens": 1}"#)
                                          : try client.request("GET", path)
            #expect(r.status == 400, "\(path): \(r.status)")
            #expect(try Self.message(r).contains("`\(name)` 2 times"), "\(path): \(r.text)")
        }
        // SmolLM2's template reads every message's content: the failure names
        // the template's file, not the folder the server keeps it in.
        let toolTurn = #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": "#
            + #"[{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}], "max_tokens": 1}"#
        let failed = try client.post("/v1/chat/completions", json: toolTurn)
        #expect(failed.status == 400)
        let message = try Self.message(failed)
        #expect(message.contains(URL(fileURLWithPath: Self.smol).lastPathComponent), "\(message)")
        #expect(!message.contains(URL(fileURLWithPath: Self.smol).deletingLastPathComponent().path), "\(message)")
    }
}
