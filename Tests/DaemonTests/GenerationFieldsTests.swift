import Foundation
import Llama
import OrderedJSON
import Testing
@testable import Daemon

/// The members both generation endpoints share, read through each of them:
/// the penalties, `logit_bias` and `ignore_eos` reach the sampler, and what
/// is wrong or not implemented is refused naming the field.
struct GenerationFieldsTests {
    enum Endpoint: CaseIterable, CustomStringConvertible {
        case completions, chat

        var description: String { self == .completions ? "completions" : "chat" }

        /// The shared fields of a body made of `members` plus what the endpoint requires.
        func fields(_ members: String) throws -> GenerationFields {
            let required = self == .completions ? #""prompt": "hi""# : #""messages": [{"role": "user", "content": "hi"}]"#
            let json = "{" + required + (members.isEmpty ? "" : ", " + members) + "}"
            let node = JSONNode(try JSONValue.parse(Array(json.utf8), options: .strict))
            return self == .completions ? try CompletionRequest(json: node).fields : try ChatRequest(json: node).fields
        }

        /// The path of the refused field, or "accepted".
        func refusal(_ members: String) -> String {
            do {
                _ = try fields(members)
                return "accepted"
            } catch let error as JSONAccessError {
                return error.path
            } catch {
                return "\(error)"
            }
        }
    }

    @Test(arguments: Endpoint.allCases)
    func theDefaultsAdjustNothing(endpoint: Endpoint) throws {
        let fields = try endpoint.fields("")
        #expect(fields.presencePenalty == 0 && fields.frequencyPenalty == 0 && fields.repetitionPenalty == 1)
        #expect(fields.logitBias.isEmpty && !fields.ignoreEOS)
        #expect(LogitsAdjustment(fields.sampling(), prompt: [1, 2]).isIdentity)
        let request = fields.generationRequest(prompt: [1], adapters: .base, maxTokens: 4, eos: [7], logprobs: nil)
        #expect(request.stopTokenIDs == [7] && request.extraStopTokenIDs.isEmpty && request.minTokens == 0)
        #expect(!request.includeStopInOutput && request.skipSpecialTokens)
        #expect(request.sampling.minP == 0 && request.sampling.allowedTokenIDs == nil)
        #expect(try fields.truncated([1, 2, 3], contextLength: 2) == [1, 2, 3])
        // null is absent, as OpenAI's SDKs send it.
        let nulls = try endpoint.fields(#""presence_penalty": null, "logit_bias": null, "suffix": null, "lora": null"#)
        #expect(nulls.presencePenalty == 0 && nulls.logitBias.isEmpty)
    }

    @Test(arguments: Endpoint.allCases)
    func penaltiesAndLogitBiasReachTheSampler(endpoint: Endpoint) throws {
        let fields = try endpoint.fields(#""presence_penalty": -1.5, "frequency_penalty": 2, "repetition_penalty": 1.25, "#
            + #""logit_bias": {"0": -100, "17": 2.5, "2047": 100}, "ignore_eos": true, "temperature": 0"#)
        let sampling = fields.sampling()
        #expect(sampling.presencePenalty == -1.5 && sampling.frequencyPenalty == 2 && sampling.repetitionPenalty == 1.25)
        #expect(sampling.logitBias == [0: -100, 17: 2.5, 2047: 100])
        #expect(sampling.isGreedy)
        let request = fields.generationRequest(prompt: [1], adapters: .base, maxTokens: 4, eos: [7], logprobs: nil)
        #expect(request.stopTokenIDs == [])
        #expect(fields.generationRequest(prompt: [1], adapters: .base, maxTokens: 4, eos: nil, logprobs: nil).stopTokenIDs == [])
    }

    @Test(arguments: Endpoint.allCases)
    func wrongTypesAndValuesOutsideTheRangesAreRefusedNamingTheField(endpoint: Endpoint) {
        let cases: [(String, String)] = [
            (#""presence_penalty": "x""#, "presence_penalty"),
            (#""presence_penalty": 2.01"#, "presence_penalty"),
            (#""frequency_penalty": "x""#, "frequency_penalty"),
            (#""frequency_penalty": -3"#, "frequency_penalty"),
            (#""repetition_penalty": 0"#, "repetition_penalty"),
            (#""repetition_penalty": -1"#, "repetition_penalty"),
            (#""repetition_penalty": 100.5"#, "repetition_penalty"),
            (#""repetition_penalty": 1e-60"#, "repetition_penalty"),   // a Float 0
            (#""repetition_penalty": true"#, "repetition_penalty"),
            (#""logit_bias": [1, 2]"#, "logit_bias"),
            (#""logit_bias": {"abc": 1}"#, "logit_bias"),
            (#""logit_bias": {"-1": 1}"#, "logit_bias"),
            (#""logit_bias": {"1.5": 1}"#, "logit_bias"),
            (#""logit_bias": {"007": 1}"#, "logit_bias"),
            (#""logit_bias": {"": 1}"#, "logit_bias"),
            (#""logit_bias": {"99999999999": 1}"#, "logit_bias"),
            (#""logit_bias": {"5": 100.5}"#, "logit_bias.5"),
            (#""logit_bias": {"5": "x"}"#, "logit_bias.5"),
            (#""ignore_eos": "yes""#, "ignore_eos"),
        ]
        for (members, field) in cases {
            #expect(endpoint.refusal(members) == field, "\(members)")
        }
        // Either side of a range is refused with the same range in the message.
        for (field, outside) in [("top_p", ["0", "1.01", "-1"]), ("repetition_penalty", ["0", "100.1", "-2"])] {
            let messages = Set(outside.compactMap { value -> String? in
                do { _ = try endpoint.fields("\"\(field)\": \(value)"); return nil } catch { return (error as? JSONAccessError)?.expected }
            })
            #expect(messages.count == 1 && messages.first?.contains("(0, ") == true, "\(field): \(messages)")
        }
        let tooMany = (0...SamplingParameters.maxLogitBiasEntries).map { #""\#($0)": 1"# }.joined(separator: ", ")
        #expect(endpoint.refusal(#""logit_bias": {\#(tooMany)}"#) == "logit_bias")
        let most = (0..<SamplingParameters.maxLogitBiasEntries).map { #""\#($0)": 1"# }.joined(separator: ", ")
        #expect(endpoint.refusal(#""logit_bias": {\#(most)}"#) == "accepted")
    }

    /// vLLM's extras reach the engine's request: `min_p` and
    /// `allowed_token_ids` the sampler, `stop_token_ids` the stop ids on top
    /// of EOS (also with `ignore_eos`), `min_tokens`,
    /// `include_stop_str_in_output` and `skip_special_tokens` the stop rules,
    /// `truncate_prompt_tokens` the prompt.
    @Test(arguments: Endpoint.allCases)
    func vLLMExtrasReachTheEngineRequest(endpoint: Endpoint) throws {
        let fields = try endpoint.fields(#""min_p": 0.05, "min_tokens": 3, "max_tokens": 8, "stop_token_ids": [9, 4, 9], "#
            + #""include_stop_str_in_output": true, "skip_special_tokens": false, "allowed_token_ids": [3, 1, 2], "#
            + #""truncate_prompt_tokens": 2, "ignore_eos": true, "prompt_logprobs": 3"#)
        let request = fields.generationRequest(prompt: [5, 6, 7], adapters: .base, maxTokens: 8, eos: [7], logprobs: 1)
        #expect(request.sampling.minP == 0.05 && request.sampling.allowedTokenIDs == [1, 2, 3])
        #expect(request.stopTokenIDs == [] && request.extraStopTokenIDs == [4, 9])
        #expect(request.minTokens == 3 && request.includeStopInOutput && !request.skipSpecialTokens)
        #expect(request.promptLogprobs == 3)
        // Choice 1 of n reads the same prompt: only choice 0 scores it.
        #expect(fields.generationRequest(prompt: [5], adapters: .base, maxTokens: 8, eos: nil, logprobs: nil,
                                         seedOffset: 1).promptLogprobs == nil)
        #expect(try fields.truncated([5, 6, 7], contextLength: 100) == [6, 7])
        let whole = try endpoint.fields(#""truncate_prompt_tokens": -1"#)
        #expect(try whole.truncated([5, 6, 7], contextLength: 2) == [6, 7])
        #expect(try whole.truncated([5, 6, 7], contextLength: 100) == [5, 6, 7])
        // More than the context holds is refused, as vLLM refuses it.
        #expect(throws: (any Error).self) { try fields.truncated([5, 6, 7], contextLength: 1) }
    }

    @Test(arguments: Endpoint.allCases)
    func vLLMExtrasOutsideTheirRangesAreRefusedNamingTheField(endpoint: Endpoint) {
        let refused: [(String, String)] = [
            (#""min_p": 1.5"#, "min_p"), (#""min_p": -0.1"#, "min_p"), (#""min_p": "x""#, "min_p"),
            (#""min_tokens": -1"#, "min_tokens"), (#""min_tokens": 1.5"#, "min_tokens"),
            (#""min_tokens": 9, "max_tokens": 8"#, "min_tokens"),
            (#""stop_token_ids": 5"#, "stop_token_ids"), (#""stop_token_ids": [-1]"#, "stop_token_ids[0]"),
            (#""stop_token_ids": ["5"]"#, "stop_token_ids[0]"),
            (#""include_stop_str_in_output": 1"#, "include_stop_str_in_output"),
            (#""skip_special_tokens": "no""#, "skip_special_tokens"),
            (#""allowed_token_ids": []"#, "allowed_token_ids"), (#""allowed_token_ids": [1.5]"#, "allowed_token_ids[0]"),
            (#""truncate_prompt_tokens": 0"#, "truncate_prompt_tokens"),
            (#""truncate_prompt_tokens": -2"#, "truncate_prompt_tokens"),
            (#""prompt_logprobs": 21"#, "prompt_logprobs"), (#""prompt_logprobs": -1"#, "prompt_logprobs"),
            (#""prompt_logprobs": 1, "stream": true"#, "prompt_logprobs"),
        ]
        for (members, field) in refused {
            #expect(endpoint.refusal(members) == field, "\(members)")
        }
        let tooMany = (0...GenerationFields.maxStopTokenIDs).map(String.init).joined(separator: ", ")
        #expect(endpoint.refusal(#""stop_token_ids": [\#(tooMany)]"#) == "stop_token_ids")
        #expect(endpoint.refusal(#""min_tokens": 8, "max_tokens": 8"#) == "accepted")
    }

    /// `suffix`, llama.cpp's `lora`, `use_beam_search`, `bad_words`, the
    /// guided-decoding fields and `return_tokens_as_token_ids` at their
    /// defaults are accepted; anything
    /// else is refused naming them (and a wrong type is refused too).
    @Test(arguments: Endpoint.allCases)
    func unimplementedFieldsAreRefusedUnlessAtTheirDefaults(endpoint: Endpoint) throws {
        for accepted in [#""suffix": """#, #""lora": []"#, #""use_beam_search": false"#, #""bad_words": []"#,
                         #""guided_json": null"#, #""prompt_logprobs": null"#, #""return_tokens_as_token_ids": false"#,
                         #""prompt_logprobs": 0"#, #""response_format": {"type": "text"}"#] {
            #expect(endpoint.refusal(accepted) == "accepted", "\(accepted)")
        }
        let refused: [(String, String)] = [
            (#""suffix": " world""#, "suffix"), (#""suffix": 5"#, "suffix"),
            (#""lora": [{"id": 0, "scale": 1.0}]"#, "lora"), (#""lora": "python""#, "lora"),
            (#""use_beam_search": true"#, "use_beam_search"), (#""use_beam_search": 1"#, "use_beam_search"),
            (#""bad_words": ["foo"]"#, "bad_words"), (#""bad_words": "foo""#, "bad_words"),
            (#""guided_json": {"type": "object"}"#, "guided_json"), (#""guided_regex": "a+""#, "guided_regex"),
            (#""guided_choice": ["yes", "no"]"#, "guided_choice"), (#""guided_grammar": "root ::= x""#, "guided_grammar"),
            (#""structured_outputs": {"json": {}}"#, "structured_outputs"),
            (#""return_tokens_as_token_ids": true"#, "return_tokens_as_token_ids"),
            (#""response_format": {"type": "json_object"}"#, "response_format.type"),
            (#""response_format": {"type": "json_schema", "json_schema": {}}"#, "response_format.type"),
        ]
        for (members, field) in refused {
            #expect(endpoint.refusal(members) == field, "\(members)")
        }
        // The lora refusal says what to use instead.
        #expect(throws: JSONAccessError.self) { try endpoint.fields(#""lora": [{"id": 0, "scale": 1.0}]"#) }
        do {
            _ = try endpoint.fields(#""lora": [{"id": 0, "scale": 1.0}]"#)
        } catch {
            #expect("\(error)".contains("\"adapter\"") && "\(error)".contains("?adapter="), "\(error)")
        }
    }
}
