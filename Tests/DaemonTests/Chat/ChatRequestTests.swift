import Foundation
import OrderedJSON
import Testing
@testable import Daemon

/// Decoding of `/v1/chat/completions` bodies and of the messages a template
/// reads: OpenAI's forms and defaults, transformers' message preprocessing,
/// and refusals that name the member.
struct ChatRequestTests {
    func node(_ json: String) throws -> JSONNode { JSONNode(try JSONValue.parse(Array(json.utf8), options: .strict)) }
    func decode(_ json: String) throws -> ChatRequest { try ChatRequest(json: node(json)) }

    func refusal(_ json: String) -> String? {
        do { _ = try decode(json); return nil } catch let e as JSONAccessError { return e.path } catch { return "\(error)" }
    }

    static let user = #""messages": [{"role": "user", "content": "hi"}]"#

    @Test func defaultsAreOpenAIs() throws {
        let r = try decode("{\(Self.user)}")
        #expect(r.n == 1 && r.maxTokens == nil && r.topLogprobs == nil && !r.includeUsage && !r.stream)
        #expect(r.prompt.addGenerationPrompt && !r.prompt.continueFinalMessage && r.toolChoice == .auto)
        #expect(r.temperature == 1 && r.prompt.tools.isNull)
    }

    @Test func maxCompletionTokensWinsOverMaxTokens() throws {
        #expect(try decode(#"{\#(Self.user), "max_tokens": 5, "max_completion_tokens": 7}"#).maxTokens == 7)
        #expect(try decode(#"{\#(Self.user), "max_tokens": 5}"#).maxTokens == 5)
    }

    @Test func optionsAreRead() throws {
        let r = try decode(#"""
            {\#(Self.user), "n": 3, "seed": 4, "logprobs": true, "top_logprobs": 2, "stream": true,
             "stream_options": {"include_usage": true}, "chat_template_kwargs": {"enable_thinking": false},
             "tool_choice": "none", "response_format": {"type": "text"}, "stop": "x"}
            """#)
        #expect(r.n == 3 && r.seed == 4 && r.topLogprobs == 2 && r.stream && r.includeUsage && r.stop == ["x"])
        #expect(r.toolChoice == .none && r.prompt.kwargs.map(\.key) == ["enable_thinking"])
        #expect(try decode(#"{\#(Self.user), "logprobs": true}"#).topLogprobs == 0)
        let cont = try decode(#"{"messages": [{"role": "assistant", "content": "x"}], "continue_final_message": true}"#)
        #expect(cont.prompt.continueFinalMessage && !cont.prompt.addGenerationPrompt)
    }

    @Test func unsupportedOrInvalidMembersAreRefusedByName() {
        #expect(refusal(#"{"messages": []}"#) == "messages")
        #expect(refusal(#"{}"#) == "messages")
        #expect(refusal(#"{\#(Self.user), "n": 9}"#) == "n")
        #expect(refusal(#"{\#(Self.user), "top_logprobs": 2}"#) == "top_logprobs")
        #expect(refusal(#"{\#(Self.user), "response_format": {"type": "json_object"}}"#) == "response_format.type")
        #expect(refusal(#"{\#(Self.user), "tool_choice": "required"}"#) == "tool_choice")
        #expect(refusal(#"{\#(Self.user), "tool_choice": {"type": "function", "function": {"name": "f"}}}"#) == "tool_choice")
        #expect(refusal(#"{\#(Self.user), "add_generation_prompt": true, "continue_final_message": true}"#) == "continue_final_message")
        #expect(refusal(#"{\#(Self.user), "tools": [1]}"#) == "tools[0]")
        #expect(refusal(#"{\#(Self.user), "chat_template_kwargs": [1]}"#) == "chat_template_kwargs")
        #expect(refusal(#"{"messages": [{"role": "", "content": "x"}]}"#) == "messages[0].role")
        #expect(refusal(#"{\#(Self.user), "n": 2, "best_of": 3}"#) == "best_of")
        #expect(refusal(#"{\#(Self.user), "n": 2, "best_of": 2}"#) == nil)
        #expect(refusal(#"{\#(Self.user), "stream_options": {"include_usage": true}}"#) == "stream_options")
        #expect(refusal(#"{\#(Self.user), "max_completion_tokens": 2, "min_tokens": 3}"#) == "min_tokens")
        #expect(refusal(#"{"messages": [{"role": 5, "content": "x"}]}"#) == "messages[0].role")
        // Llama 3's ipython (tool output) and other roles reach the template, as in vLLM.
        #expect(refusal(#"{"messages": [{"role": "ipython", "content": "x"}]}"#) == nil)
        #expect(refusal(#"{"messages": [{"role": "ipython"}]}"#) == "messages[0].content")
        #expect(refusal(#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}"#)
            == "messages[0].content[0].type")
        #expect(refusal(#"{"messages": [{"role": "user", "tool_calls": []}]}"#) == "messages[0].tool_calls")
    }

    @Test func messagesArePreparedAsTransformersCallersDo() throws {
        let messages = try ChatMessages.templateMessages(node(#"""
            [{"role": "system", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "name": null},
             {"role": "assistant", "content": null, "reasoning_content": "think",
              "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"z\": 1, \"a\": [true]}"}}]},
             {"role": "tool", "tool_call_id": "c1", "content": "42"}]
            """#))
        let expected = try JSONValue.parse(Array(#"""
            [{"role": "system", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
             {"role": "assistant", "reasoning_content": "think",
              "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"z": 1, "a": [true]}}}],
              "thinking": "think"},
             {"role": "tool", "tool_call_id": "c1", "content": "42"}]
            """#.utf8))
        #expect(messages.serialized() == expected.serialized())
        // For a template that does not loop over content, the parts become one string.
        let joined = ChatMessages.joiningTextParts(messages)
        #expect(joined.arrayValue?.first?["content"] == .string("a\nb"))
        #expect(joined.arrayValue?.last?["content"] == .string("42"))
    }

    @Test func toolCallArgumentsThatAreNotAJSONObjectAreRefused() throws {
        for arguments in [#""{not json""#, #""[1]""#, "3"] {
            let json = #"[{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": \#(arguments)}}]}]"#
            #expect(throws: JSONAccessError.self) { try ChatMessages.templateMessages(node(json).withPath("messages")) }
            do { _ = try ChatMessages.templateMessages(node(json).withPath("messages")) } catch let e as JSONAccessError {
                #expect(e.path == "messages[0].tool_calls[0].function.arguments")
            }
        }
    }
}

extension JSONNode {
    func withPath(_ path: String) -> JSONNode { JSONNode(value, path: path) }
}
