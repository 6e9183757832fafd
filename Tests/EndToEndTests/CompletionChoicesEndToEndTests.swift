import Foundation
import Testing
import TestSupport

/// `/v1/completions` with several prompts, `n` samples of each and `echo`,
/// through the real binary: every choice equals the same prompt and seed
/// sent alone, choice p · n + j is sample j of prompt p, streamed equals
/// whole, and usage counts each prompt once and every choice's tokens.
@Suite(.serialized) struct CompletionChoicesEndToEndTests {
    static func complete(_ daemon: LoradProcess, _ body: [String: Any]) throws -> [String: Any] {
        let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", body)
        try #require(r.status == 200, "\(r.status) \(r.text)")
        return try r.json()
    }

    static func texts(_ response: [String: Any]) throws -> [String] {
        let choices = try #require(response["choices"] as? [[String: Any]])
        #expect(choices.map { $0["index"] as? Int } == Array(0..<choices.count).map(Optional.some))
        return try choices.map { try #require($0["text"] as? String) }
    }

    static func usage(_ response: [String: Any]) -> (prompt: Int?, completion: Int?) {
        let usage = response["usage"] as? [String: Any]
        return (usage?["prompt_tokens"] as? Int, usage?["completion_tokens"] as? Int)
    }

    /// Streamed text per choice index, and each index's finish reason.
    static func streamed(_ daemon: LoradProcess, _ body: [String: Any]) throws -> (texts: [Int: String], finishes: [Int: String], usage: [String: Any]?) {
        var streaming = body
        streaming["stream"] = true
        streaming["stream_options"] = ["include_usage": true]
        let events = try ChatEndToEndTests.events(try Curl.postJSON(daemon.baseURL + "/v1/completions", streaming).text)
        var texts: [Int: String] = [:], finishes: [Int: String] = [:]
        for event in events {
            for choice in event["choices"] as? [[String: Any]] ?? [] {
                let i = choice["index"] as? Int ?? -1
                texts[i, default: ""] += choice["text"] as? String ?? ""
                if let finish = choice["finish_reason"] as? String { finishes[i] = finish }
            }
        }
        return (texts, finishes, events.last?["usage"] as? [String: Any])
    }

    @Test func everyChoiceOfSeveralPromptsAndSamplesEqualsItsSoloRun() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        let prompts = ["The licensee may", "def main():"]
        let base: [String: Any] = ["max_tokens": 10, "temperature": 1, "top_k": 40, "seed": 21]
        var body = base
        body["prompt"] = prompts
        body["n"] = 3
        let together = try Self.complete(daemon, body)
        var solos: [String] = [], promptTokens = 0
        for prompt in prompts {
            for j in 0..<3 {
                var solo = base
                solo["prompt"] = prompt
                solo["seed"] = 21 + j
                let answer = try Self.complete(daemon, solo)
                solos += try Self.texts(answer)
                if j == 0 { promptTokens += Self.usage(answer).prompt ?? 0 }
            }
        }
        #expect(try Self.texts(together) == solos)
        #expect(Set(solos.prefix(3)).count > 1, "the samples of one prompt differ")
        #expect(Self.usage(together).prompt == promptTokens)
        #expect(Self.usage(together).completion == 60)

        let stream = try Self.streamed(daemon, body)
        #expect((0..<6).map { stream.texts[$0] } == solos.map(Optional.some))
        #expect(stream.finishes.count == 6 && stream.finishes.values.allSatisfy { $0 == "length" })
        #expect(stream.usage?["prompt_tokens"] as? Int == promptTokens && stream.usage?["completion_tokens"] as? Int == 60)
    }

    /// Token-id prompts in a list of lists, and `echo`: the text starts with
    /// the prompt (as sent for text, decoded for ids), then the completion.
    @Test func echoPrependsEachPromptAndTokenListsAreSeveralPrompts() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        let ids = [[2046, 464, 1000], [2046, 300, 77, 9]]
        let greedy: [String: Any] = ["max_tokens": 6, "temperature": 0]
        var body = greedy
        body["prompt"] = ids
        let plain = try Self.texts(Self.complete(daemon, body))
        #expect(plain.count == 2)
        for (i, prompt) in ids.enumerated() {
            var solo = greedy
            solo["prompt"] = prompt
            #expect(try Self.texts(Self.complete(daemon, solo)) == [plain[i]])
        }
        let decoded = try ids.map { prompt in
            try #require(try Curl.postJSON(daemon.baseURL + "/detokenize", ["tokens": prompt]).json()["prompt"] as? String)
        }
        body["echo"] = true
        #expect(try Self.texts(Self.complete(daemon, body)) == zip(decoded, plain).map { $0 + $1 })
        let stream = try Self.streamed(daemon, body)
        #expect([stream.texts[0], stream.texts[1]] == zip(decoded, plain).map { Optional($0 + $1) })

        var text = greedy
        text["prompt"] = "The licensee may"
        let answer = try Self.texts(Self.complete(daemon, text))
        text["echo"] = true
        #expect(try Self.texts(Self.complete(daemon, text)) == answer.map { "The licensee may" + $0 })
    }

    /// echo + logprobs: the report lists the prompt's tokens (the first with
    /// null) and then the generated ones, which equal a plain run's; with
    /// max_tokens 0 only the prompt is scored (lm-evaluation-harness's
    /// loglikelihood request), and scoring a generated text gives back the
    /// logprobs it was generated with.
    /// The one choice's text, tokens and text_offset of a completion, whole or streamed.
    static func offsetReport(_ r: Curl.Response, streamed: Bool) throws -> (text: String, tokens: [String], offsets: [Int]) {
        var text = "", tokens: [String] = [], offsets: [Int] = []
        if streamed {
            for event in try ChatEndToEndTests.events(r.text) {
                for c in event["choices"] as? [[String: Any]] ?? [] {
                    let lp = c["logprobs"] as? [String: Any]
                    offsets += lp?["text_offset"] as? [Int] ?? []
                    tokens += lp?["tokens"] as? [String] ?? []
                    text += c["text"] as? String ?? ""
                }
            }
        } else {
            let choice = try #require((try r.json()["choices"] as? [[String: Any]])?.first)
            text = try #require(choice["text"] as? String)
            let lp = try #require(choice["logprobs"] as? [String: Any])
            tokens = try #require(lp["tokens"] as? [String])
            offsets = try #require(lp["text_offset"] as? [Int])
        }
        return (text, tokens, offsets)
    }

    /// Offsets never go back, stay within the text, and each token the text
    /// shows (all but the special ones) starts at its offset.
    static func expectOffsetsPointAtTheirTokens(_ text: String, _ tokens: [String], _ offsets: [Int], _ label: String) {
        let scalars = Array(text.unicodeScalars)
        #expect(offsets == offsets.sorted() && offsets.allSatisfy { $0 <= scalars.count }, "\(label): \(offsets) in \(scalars.count)")
        for (token, offset) in zip(tokens, offsets) where !token.hasPrefix("<|") {
            let at = String(String.UnicodeScalarView(scalars[min(offset, scalars.count)...]))
            #expect(at.hasPrefix(token), "\(label): '\(token)' at \(offset) of '\(text)'")
        }
    }

    /// A generated special token the text leaves out (skip_special_tokens,
    /// the default) takes no room: the tokens after it still start at their
    /// offsets (each token's own string length, as vLLM adds it, ran 17
    /// past the text after a `<|begin_of_text|>`).
    @Test func aSkippedSpecialTokenTakesNoRoomInTextOffsets() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        var specials = 0
        for seed in 0..<6 {
            for streamIt in [false, true] {
                // Only BOS and three words may be drawn: a hot sampler draws BOS often.
                let body: [String: Any] = ["prompt": "The licensee", "max_tokens": 10, "temperature": 3.0, "seed": seed, "logprobs": 0,
                                           "allowed_token_ids": [2046, 263, 371, 433], "stream": streamIt]
                let (text, tokens, offsets) = try Self.offsetReport(Curl.postJSON(daemon.baseURL + "/v1/completions", body), streamed: streamIt)
                #expect(!text.contains("<|begin_of_text|>"))
                specials += tokens.filter { $0 == "<|begin_of_text|>" }.count
                Self.expectOffsetsPointAtTheirTokens(text, tokens, offsets, "seed \(seed) stream \(streamIt)")
            }
        }
        #expect(specials > 0, "no BOS was drawn: the case is not covered")
    }

    @Test func echoWithLogprobsScoresThePromptAndMaxTokensZeroOnlyScores() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        let prompt = [2046, 464, 1000, 300]
        func logprobs(_ body: [String: Any]) throws -> (text: String, tokens: [String], values: [Double?], top: [[String: Double]?]) {
            let choice = try #require((try Self.complete(daemon, body)["choices"] as? [[String: Any]])?.first)
            let report = try #require(choice["logprobs"] as? [String: Any])
            let values = try #require(report["token_logprobs"] as? [Any]).map { $0 as? Double }
            let top = try #require(report["top_logprobs"] as? [Any]).map { $0 as? [String: Double] }
            return (try #require(choice["text"] as? String), try #require(report["tokens"] as? [String]), values, top)
        }
        let plain = try logprobs(["prompt": prompt, "max_tokens": 4, "temperature": 0, "logprobs": 1])
        let echoed = try logprobs(["prompt": prompt, "max_tokens": 4, "temperature": 0, "logprobs": 1, "echo": true])
        let decoded = try prompt.map { id in
            try #require(try Curl.postJSON(daemon.baseURL + "/detokenize", ["tokens": [id]]).json()["prompt"] as? String)
        }
        #expect(echoed.text == decoded.joined() + plain.text)
        #expect(echoed.tokens == decoded + plain.tokens)
        #expect(echoed.values.first == .some(nil) && echoed.top.first == .some(nil))
        #expect(echoed.values.dropFirst().allSatisfy { $0 != nil } && echoed.values.count == 8)
        for (a, b) in zip(echoed.values.suffix(4), plain.values) { #expect(abs((a ?? 0) - (b ?? 1)) < 1e-4) }

        // The four generated ids, scored as a prompt with max_tokens 0.
        let ids = try #require(try Curl.postJSON(daemon.baseURL + "/tokenize",
            ["prompt": plain.text, "add_special_tokens": false]).json()["tokens"] as? [Int])
        try #require(ids.count == 4, "the greedy text re-tokenizes to other ids: \(ids)")
        let scored = try logprobs(["prompt": prompt + ids, "max_tokens": 0, "logprobs": 1, "echo": true])
        #expect(scored.text == decoded.joined() + plain.text)
        #expect(scored.values.count == 8)
        for (a, b) in zip(scored.values.suffix(4), plain.values) { #expect(abs((a ?? 0) - (b ?? 1)) < 1e-4) }
        // Each greedy token is its position's most likely: top-1 names it.
        for (top, token) in zip(scored.top.suffix(4), plain.tokens) { #expect(top?.keys.first == token) }

        // A text prompt: the echo is the text as sent (no BOS), and every
        // text_offset points where its token's text starts in the choice's text.
        for streamIt in [false, true] {
            let body: [String: Any] = ["prompt": "The licensee may copy", "max_tokens": 5, "temperature": 0, "logprobs": 0, "echo": true,
                                       "stream": streamIt]
            let (text, tokens, offsets) = try Self.offsetReport(Curl.postJSON(daemon.baseURL + "/v1/completions", body), streamed: streamIt)
            #expect(text.hasPrefix("The licensee may copy"), "stream \(streamIt)")
            Self.expectOffsetsPointAtTheirTokens(text, tokens, offsets, "stream \(streamIt)")
        }

        let stream = try Self.streamed(daemon, ["prompt": prompt, "max_tokens": 0, "logprobs": 1, "echo": true])
        #expect(stream.texts[0] == decoded.joined() && stream.finishes[0] == "length")
        let refused = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": prompt, "max_tokens": 0])
        #expect(refused.status == 400 && refused.text.contains("max_tokens") && refused.text.contains("echo"))
    }

    /// vLLM's `prompt_logprobs`: null, then per prompt token {id: {logprob,
    /// rank, decoded_token}} with the token itself and the top alternatives
    /// — the same numbers echo's logprobs report; chat puts the list at the
    /// top level, over the rendered prompt's ids.
    @Test func promptLogprobsListEveryPromptTokenOnBothEndpoints() throws {
        let daemon = try LoradProcess(arguments: ["--chat-template", ChatEndToEndTests.smol])
        defer { daemon.cleanUp() }
        let prompt = [2046, 464, 1000, 300, 77]
        let answer = try Self.complete(daemon, ["prompt": prompt, "max_tokens": 2, "temperature": 0, "prompt_logprobs": 2, "n": 2])
        let choices = try #require(answer["choices"] as? [[String: Any]])
        let list = try #require(choices.first?["prompt_logprobs"] as? [Any])
        #expect(list.count == prompt.count && list.first is NSNull)
        #expect((choices.last?["prompt_logprobs"] as? [Any])?.count == prompt.count, "every sample of the prompt carries it")
        let echoed = try #require((try Self.complete(daemon, ["prompt": prompt, "max_tokens": 0, "echo": true, "logprobs": 2])["choices"]
            as? [[String: Any]])?.first?["logprobs"] as? [String: Any])
        let echoValues = try #require(echoed["token_logprobs"] as? [Any])
        let echoTop = try #require(echoed["top_logprobs"] as? [Any])
        for k in 1..<prompt.count {
            let entries = try #require(list[k] as? [String: [String: Any]])
            let own = try #require(entries[String(prompt[k])])
            #expect(own["logprob"] as? Double == echoValues[k] as? Double, "position \(k)")
            #expect((own["rank"] as? Int ?? 0) >= 1 && own["decoded_token"] as? String != nil)
            // The same tokens as echo's top_logprobs: the top 2 and the prompt's own, by text.
            let texts = entries.values.compactMap { $0["decoded_token"] as? String }
            #expect(Set(texts) == Set((echoTop[k] as? [String: Double])?.keys.map { $0 } ?? []), "position \(k)")
            #expect((echoTop[k] as? [String: Double])?[own["decoded_token"] as? String ?? ""] == echoValues[k] as? Double)
            #expect(entries.count == 2 || entries.count == 3)
        }

        let messages = [["role": "user", "content": "Hello there"]]
        let ids = try #require(try Curl.postJSON(daemon.baseURL + "/tokenize", ["messages": messages]).json()["tokens"] as? [Int])
        let chat = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions",
                                     ["messages": messages, "max_tokens": 2, "prompt_logprobs": 0]).json()
        let chatList = try #require(chat["prompt_logprobs"] as? [Any])
        #expect(chatList.count == ids.count && chatList.first is NSNull)
        let scored = try #require((try Self.complete(daemon, ["prompt": ids, "max_tokens": 1, "prompt_logprobs": 0])["choices"]
            as? [[String: Any]])?.first?["prompt_logprobs"] as? [Any])
        for k in 1..<ids.count {
            let a = (chatList[k] as? [String: [String: Any]])?[String(ids[k])]?["logprob"] as? Double
            let b = (scored[k] as? [String: [String: Any]])?[String(ids[k])]?["logprob"] as? Double
            // Chat writes the Float widened to Double, completions its shortest Float digits.
            #expect(a != nil && abs((a ?? 0) - (b ?? 1)) < 1e-6, "position \(k)")
        }
        let streamed = try Curl.postJSON(daemon.baseURL + "/v1/chat/completions",
                                         ["messages": messages, "max_tokens": 2, "prompt_logprobs": 0, "stream": true])
        #expect(streamed.status == 400 && streamed.text.contains("prompt_logprobs"))
    }

    @Test func whatCannotBeAnsweredIs400NamingTheField() throws {
        let daemon = try LoradProcess(arguments: ["--max-queue", "4"])
        defer { daemon.cleanUp() }
        let cases: [([String: Any], [String])] = [
            (["prompt": "x", "n": 9], ["n"]),
            (["prompt": "x", "n": 2, "best_of": 3], ["best_of"]),
            (["prompt": ["a", 5]], ["prompt[1]"]),
            (["prompt": Array(repeating: "a", count: 65)], ["prompt", "64"]),
            (["prompt": ["a", "b", "c"], "n": 2], ["6 choices", "max_queue"]),
        ]
        for (body, names) in cases {
            let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", body)
            #expect(r.status == 400 && names.allSatisfy { r.text.contains($0) }, "\(body): \(r.status) \(r.text)")
        }
    }
}
