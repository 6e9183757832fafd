import Foundation
import Testing
import TestSupport

/// `logit_bias`, the penalties, `ignore_eos`, vLLM's stop controls and the refused fields through
/// the real binary and the demo model, on both generation endpoints (chat
/// with SmolLM2's template). Expected outputs are computed here from what a
/// plain run reports, never read back from the run under test.
@Suite struct SamplingControlsEndToEndTests {
    static let smol = Fixtures.directory.appendingPathComponent(
        "chat-templates/templates/HuggingFaceTB-SmolLM2-135M-Instruct.jinja").path
    static let eos = 2047   // models/tiny-llama/config.json `eos_token_id`

    static func daemon() throws -> LoradProcess { try LoradProcess(arguments: ["--chat-template", smol]) }

    static func json(_ response: KeepAliveClient.Response) throws -> [String: Any] {
        try #require(response.status == 200, "\(response.status) \(response.text)")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    static func completion(_ client: KeepAliveClient, _ body: String) throws -> [String: Any] {
        let choices = try #require(try json(client.post("/v1/completions", json: body))["choices"] as? [[String: Any]])
        return try #require(choices.first)
    }

    /// tokens, token_logprobs and top_logprobs of a completion choice.
    static func logprobs(_ choice: [String: Any]) throws -> (tokens: [String], logprobs: [Double], top: [[String: Double]]) {
        let report = try #require(choice["logprobs"] as? [String: Any])
        return (try #require(report["tokens"] as? [String]), try #require(report["token_logprobs"] as? [Double]),
                try #require(report["top_logprobs"] as? [[String: Double]]))
    }

    /// The id and text of the second most likely first token after `prompt`
    /// (a plain greedy run never picks it), found through /tokenize and
    /// checked back through /detokenize.
    static func runnerUp(_ client: KeepAliveClient, prompt: String) throws -> (id: Int, text: String, logprob: Double) {
        let plain = try logprobs(completion(client, #"{"prompt": "\#(prompt)", "max_tokens": 1, "temperature": 0, "logprobs": 5}"#))
        let ranked = try #require(plain.top.first).sorted { $0.value > $1.value }
        let second = ranked[1]
        let escaped = String(decoding: try JSONSerialization.data(withJSONObject: [second.key]), as: UTF8.self).dropFirst().dropLast()
        let ids = try #require(try json(client.post("/tokenize", json: #"{"prompt": \#(escaped), "add_special_tokens": false}"#))["tokens"] as? [Int])
        try #require(ids.count == 1, "\(second.key) is not one token: \(ids)")
        let back = try json(client.post("/detokenize", json: #"{"tokens": [\#(ids[0])]}"#))["prompt"] as? String
        try #require(back == second.key)
        return (ids[0], second.key, second.value)
    }

    @Test func aLogitBiasOf100MakesGreedyPickThatTokenEveryStepOnBothEndpoints() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        let token = try Self.runnerUp(client, prompt: "The")
        let steps = 8
        let expectedText = try #require(try Self.json(client.post("/detokenize",
            json: #"{"tokens": \#(Array(repeating: token.id, count: steps))}"#))["prompt"] as? String)

        let biased = try Self.completion(client, #"{"prompt": "The", "max_tokens": \#(steps), "temperature": 0, "logprobs": 1, "#
            + #""logit_bias": {"\#(token.id)": 100}}"#)
        #expect(biased["text"] as? String == expectedText)
        let report = try Self.logprobs(biased)
        #expect(report.tokens == Array(repeating: token.text, count: steps))
        // logprobs stay the model's raw ones: the first is the plain run's
        // (same prompt, same forward pass), not the biased ~0.
        #expect(abs((report.logprobs.first ?? 0) - token.logprob) < 1e-4, "\(report.logprobs) vs \(token.logprob)")
        #expect(report.logprobs.allSatisfy { $0 < -0.01 })
        // top_logprobs: the most likely token and the chosen one (OpenAI: "as well the chosen tokens").
        #expect(report.top.allSatisfy { $0.count == 2 && $0[token.text] != nil }, "\(report.top)")

        let chat = try Self.json(client.post("/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "Hi"}], "#
            + #""max_tokens": \#(steps), "temperature": 0, "logit_bias": {"\#(token.id)": 100}}"#))
        let message = try #require((chat["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
        #expect(message["content"] as? String == expectedText)
    }

    /// A greedy continuation that repeats tokens, then the same prompt with
    /// penalties: each step's pick must be the argmax of the step's raw
    /// top-20 logprobs minus frequency × the times the token was already
    /// generated minus presence if it was — OpenAI's rule applied here to
    /// what the daemon reports (log-softmax shifts every logit of a step
    /// alike, so the argmax is the same). With penalties ≥ 0 a token outside
    /// the top 20 scores at most the 20th raw value, so a pick above that is
    /// decided by the top 20 alone. 64 tokens, so that some tokens come up a
    /// third time (a penalty counted once per token would pick differently).
    @Test(arguments: [(frequency: 2.0, presence: 0.0), (frequency: 0.5, presence: 1.0)])
    func penaltiesChangeARepeatingGreedyTextAndEachPickIsTheReferenceArgmax(frequency: Double, presence: Double) throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        let body = #"{"prompt": "the the the the", "max_tokens": 64, "temperature": 0, "logprobs": 20"#
        let plainChoice = try Self.completion(client, body + "}")
        let penalisedChoice = try Self.completion(client, body + #", "frequency_penalty": \#(frequency), "presence_penalty": \#(presence)}"#)
        let plain = try Self.logprobs(plainChoice), penalised = try Self.logprobs(penalisedChoice)

        func repeats(_ tokens: [String]) -> [String: Int] { Dictionary(tokens.map { ($0, 1) }, uniquingKeysWith: +) }
        try #require((repeats(plain.tokens).values.max() ?? 0) >= 2, "the plain continuation should repeat a token: \(plain.tokens)")
        #expect(penalisedChoice["text"] as? String != plainChoice["text"] as? String)
        // Step 0 has nothing generated yet: the same raw distribution.
        #expect(penalised.top.first == plain.top.first)

        // Texts stand for token ids here: each must be one whole character sequence.
        #expect(!penalised.tokens.contains { $0.isEmpty || $0.contains("\u{FFFD}") })
        var counts: [String: Int] = [:]
        for (step, (token, top)) in zip(penalised.tokens, penalised.top).enumerated() {
            var scores = top
            for (text, count) in counts where scores[text] != nil {
                scores[text, default: 0] -= frequency * Double(count) + presence
            }
            let best = try #require(scores.max { $0.value < $1.value })
            #expect(best.value > (top.values.min() ?? 0), "step \(step): not decided by the top 20")
            #expect(best.key == token, "step \(step): picked \(token.debugDescription), the reference \(best.key.debugDescription)")
            counts[token, default: 0] += 1
        }
        #expect(counts.values.contains { $0 >= 3 }, "no token came up a third time: \(counts)")
    }

    /// `ignore_eos` (vLLM): with EOS forced by a bias, a request ends at its
    /// first token; with `ignore_eos` it runs to `max_tokens`.
    @Test func ignoreEOSGeneratesPastTheEndOfSequenceToken() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        let forced = #"{"prompt": "The", "max_tokens": 6, "temperature": 0, "logit_bias": {"\#(Self.eos)": 100}"#
        let stops = try Self.json(client.post("/v1/completions", json: forced + "}"))
        #expect((stops["usage"] as? [String: Any])?["completion_tokens"] as? Int == 1)
        #expect((stops["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
        let runs = try Self.json(client.post("/v1/completions", json: forced + #", "ignore_eos": true}"#))
        #expect((runs["usage"] as? [String: Any])?["completion_tokens"] as? Int == 6)
        #expect((runs["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
    }

    /// vLLM's stop controls on both endpoints, with a token forced by a
    /// bias: `stop_token_ids` ends the output at it (not in the text),
    /// `min_tokens` holds that back for exactly that many tokens, and
    /// `include_stop_str_in_output` keeps its text; `truncate_prompt_tokens`
    /// keeps the prompt's last tokens. Expected texts come from /detokenize.
    @Test func stopTokenIDsMinTokensAndIncludeStopOnBothEndpoints() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        let token = try Self.runnerUp(client, prompt: "The")
        func text(_ count: Int) throws -> String {
            try #require(try Self.json(client.post("/detokenize",
                json: #"{"tokens": \#(Array(repeating: token.id, count: count))}"#))["prompt"] as? String)
        }
        let prefixes = ["/v1/completions": #""prompt": "The""#,
                        "/v1/chat/completions": #""messages": [{"role": "user", "content": "Hi"}]"#]
        for (path, required) in prefixes {
            let forced = "{\(required), " + #""max_tokens": 8, "temperature": 0, "logit_bias": {"\#(token.id)": 100}, "#
                + #""stop_token_ids": [\#(token.id)]"#
            func run(_ extra: String) throws -> (text: String?, tokens: Int?, finish: String?) {
                let body = try Self.json(client.post(path, json: forced + extra + "}"))
                let choice = (body["choices"] as? [[String: Any]])?.first
                let content = choice?["text"] as? String ?? (choice?["message"] as? [String: Any])?["content"] as? String
                return (content, (body["usage"] as? [String: Any])?["completion_tokens"] as? Int, choice?["finish_reason"] as? String)
            }
            let first = try run("")
            #expect(first.text == "" && first.tokens == 1 && first.finish == "stop", "\(path) \(first)")
            // Held back, the token cannot be picked, bias or not: the first 3
            // are those of a run that bans it; the fourth is the token, forced.
            let banned = try Self.json(client.post(path, json: "{\(required), "
                + #""max_tokens": 3, "temperature": 0, "logit_bias": {"\#(token.id)": -100}}"#))
            let bannedChoice = (banned["choices"] as? [[String: Any]])?.first
            let bannedText = try #require(bannedChoice?["text"] as? String
                ?? (bannedChoice?["message"] as? [String: Any])?["content"] as? String)
            let held = try run(#", "min_tokens": 3"#)
            #expect(held.text == bannedText && held.tokens == 4 && held.finish == "stop", "\(path) \(held)")
            let including = try run(#", "min_tokens": 3, "include_stop_str_in_output": true"#)
            #expect(including.text == bannedText + (try text(1)) && including.tokens == 4, "\(path) \(including)")
            #expect(try run(#", "include_stop_str_in_output": true"#).text == (try text(1)))
        }
        // truncate_prompt_tokens: the same answer as the last 2 ids alone.
        let ids = [2046, 464, 1000, 300, 77]
        let cut = try Self.json(client.post("/v1/completions", json: #"{"prompt": \#(ids), "max_tokens": 6, "temperature": 0, "#
            + #""truncate_prompt_tokens": 2}"#))
        let alone = try Self.json(client.post("/v1/completions", json: #"{"prompt": \#(Array(ids.suffix(2))), "max_tokens": 6, "#
            + #""temperature": 0}"#))
        #expect((cut["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 2)
        #expect((cut["choices"] as? [[String: Any]])?.first?["text"] as? String
                == (alone["choices"] as? [[String: Any]])?.first?["text"] as? String)
    }

    @Test func invalidValuesAndUnimplementedFieldsAre400NamingTheFieldOnBothEndpoints() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        let cases: [(member: String, names: [String])] = [
            (#""presence_penalty": "x""#, ["presence_penalty"]),
            (#""frequency_penalty": "x""#, ["frequency_penalty"]),
            (#""frequency_penalty": 2.5"#, ["frequency_penalty"]),
            (#""presence_penalty": -2.5"#, ["presence_penalty"]),
            (#""repetition_penalty": 0"#, ["repetition_penalty"]),
            (#""repetition_penalty": "x""#, ["repetition_penalty"]),
            (#""logit_bias": {"2048": 5}"#, ["logit_bias", "2048"]),
            (#""logit_bias": {"99999": 5}"#, ["logit_bias", "99999"]),
            (#""logit_bias": {"the": 5}"#, ["logit_bias"]),
            (#""logit_bias": {"5": 500}"#, ["logit_bias"]),
            (#""logit_bias": "x""#, ["logit_bias"]),
            (#""suffix": " and so on""#, ["suffix"]),
            (#""lora": [{"id": 0, "scale": 0.5}]"#, ["lora", "adapter"]),
            (#""min_p": 1.5"#, ["min_p"]),
            (#""min_tokens": 3"#, ["min_tokens", "max_tokens"]),
            (#""stop_token_ids": [2048]"#, ["stop_token_ids", "2048"]),
            (#""allowed_token_ids": [5, 99999]"#, ["allowed_token_ids", "99999"]),
            (#""use_beam_search": true"#, ["use_beam_search"]),
            (#""bad_words": ["the"]"#, ["bad_words"]),
            (#""guided_json": {"type": "object"}"#, ["guided_json"]),
            (#""prompt_logprobs": 21"#, ["prompt_logprobs"]),
        ]
        let prefixes = ["/v1/completions": #""prompt": "The", "max_tokens": 2"#,
                        "/v1/chat/completions": #""messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2"#]
        for (path, required) in prefixes {
            for (member, names) in cases {
                let r = try client.post(path, json: "{\(required), \(member)}")
                #expect(r.status == 400 && names.allSatisfy { r.text.contains($0) }, "\(path) \(member): \(r.status) \(r.text)")
            }
            // At their defaults the same fields are accepted.
            let defaults = #""suffix": "", "lora": [], "min_p": 0, "min_tokens": 0, "use_beam_search": false, "bad_words": [], "#
                + #""stop_token_ids": [], "include_stop_str_in_output": false, "skip_special_tokens": true, "guided_json": null, "#
                + #""presence_penalty": 0, "frequency_penalty": 0, "repetition_penalty": 1, "logit_bias": {}, "ignore_eos": false"#
            let ok = try client.post(path, json: "{\(required), \(defaults)}")
            #expect(ok.status == 200, "\(path): \(ok.text)")
        }
    }
}
