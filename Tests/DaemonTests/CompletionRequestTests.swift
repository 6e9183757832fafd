import Foundation
import OrderedJSON
import Testing
@testable import Daemon

/// Decoding of `/v1/completions` bodies: OpenAI's accepted forms and defaults,
/// and refusals that name the field.
struct CompletionRequestTests {
    func decode(_ json: String) throws -> CompletionRequest {
        try CompletionRequest(json: JSONNode(try JSONValue.parse(Array(json.utf8), options: .strict)))
    }

    func refusal(_ json: String) -> String {
        do {
            _ = try decode(json)
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }

    @Test func defaultsFollowOpenAI() throws {
        let r = try decode(#"{"prompt": "hi"}"#)
        #expect(r.prompt == .text("hi"))
        #expect(r.maxTokens == 16)
        #expect(r.temperature == 1)
        #expect(r.topP == 1)
        #expect(r.topK == 0)
        #expect(r.stream == false)
        #expect(r.logprobs == nil)
        #expect(r.stop == [])
    }

    @Test func promptAndStopTakeEveryOpenAIForm() throws {
        #expect(try decode(#"{"prompt": ["one"]}"#).prompt == .text("one"))
        #expect(try decode(#"{"prompt": [1, 2, 3]}"#).prompt == .tokens([1, 2, 3]))
        #expect(try decode(#"{"prompt": [[4, 5]]}"#).prompt == .tokens([4, 5]))
        #expect(try decode(#"{"prompt": "x", "stop": "\n"}"#).stop == ["\n"])
        #expect(try decode(#"{"prompt": "x", "stop": ["a", "b"]}"#).stop == ["a", "b"])
        #expect(try decode(#"{"prompt": "x", "top_k": -1}"#).topK == 0)
        let full = try decode(#"{"prompt": "x", "model": "m", "adapter": "a:0.5", "max_tokens": 3, "temperature": 0, "top_p": 0.5, "top_k": 4, "seed": 7, "stream": true, "logprobs": 2, "n": 1, "echo": false, "user": "u"}"#)
        #expect(full.model == "m")
        #expect(full.adapter == "a:0.5")
        #expect(full.maxTokens == 3 && full.temperature == 0 && full.topP == 0.5 && full.topK == 4)
        #expect(full.seed == 7 && full.stream && full.logprobs == 2)
    }

    @Test func severalPromptsSamplesAndEchoAreRead() throws {
        let r = try decode(#"{"prompt": ["a", "b"], "n": 3, "best_of": 3, "echo": true}"#)
        #expect(r.prompts == [.text("a"), .text("b")] && r.n == 3 && r.echo)
        #expect(try decode(#"{"prompt": [[1, 2], [3]]}"#).prompts == [.tokens([1, 2]), .tokens([3])])
        #expect(try decode(#"{"prompt": "x"}"#).n == 1)
        #expect(try decode(#"{"prompt": "x", "n": 2}"#).n == 2)
    }

    @Test func unsupportedOrInvalidValuesAreRefusedByName() {
        #expect(refusal(#"{"prompt": "x", "n": 9}"#).contains("`n`"))
        #expect(refusal(#"{"prompt": "x", "n": 0}"#).contains("`n`"))
        #expect(refusal(#"{"prompt": "x", "n": 2, "best_of": 4}"#).contains("`best_of`"))
        #expect(refusal(#"{"prompt": "x", "echo": true, "logprobs": 0, "max_tokens": 0}"#) == "accepted")
        #expect(refusal(#"{"prompt": "x", "max_tokens": 0}"#).contains("`max_tokens`"))
        #expect(refusal(#"{"prompt": ["a", 1]}"#).contains("`prompt[1]`"))
        #expect(refusal(#"{"prompt": [[1], "a"]}"#).contains("`prompt[1]`"))
        let many = Array(repeating: #""a""#, count: CompletionRequest.maxPrompts + 1).joined(separator: ", ")
        #expect(refusal(#"{"prompt": [\#(many)]}"#).contains("`prompt`"))
        #expect(refusal(#"{"prompt": {"a": 1}}"#).contains("`prompt`"))
        // stream_options only with a stream (OpenAI and vLLM refuse it otherwise).
        #expect(refusal(#"{"prompt": "x", "stream_options": {"include_usage": true}}"#).contains("`stream_options`"))
        #expect(refusal(#"{"prompt": "x", "stream": true, "stream_options": {"continuous_usage_stats": true}}"#)
            .contains("continuous_usage_stats"))
        #expect(refusal(#"{"prompt": "x", "stream": true, "stream_options": {"include_usage": true}}"#) == "accepted")
        #expect(refusal(#"{"max_tokens": 3}"#).contains("prompt"))
        #expect(refusal(#"{"prompt": "x", "max_tokens": -1}"#).contains("`max_tokens`"))
        #expect(refusal(#"{"prompt": "x", "temperature": -1}"#).contains("`temperature`"))
        #expect(refusal(#"{"prompt": "x", "top_p": 0}"#).contains("`top_p`"))
        #expect(refusal(#"{"prompt": "x", "logprobs": 99}"#).contains("`logprobs`"))
        #expect(refusal(#"{"prompt": "x", "stop": [""]}"#).contains("`stop`"))
    }
}
