import Testing
import Llama
import TestSupport
@testable import Serving

/// vLLM's stop controls through the engine — `stop_token_ids`,
/// `min_tokens`, `include_stop_str_in_output`, `skip_special_tokens`,
/// `allowed_token_ids` — each against a second computation: the plain
/// greedy run cut where the rule says, or runs that reach the same tokens
/// by other means (a logit bias, a continued prompt).
@Suite(.serialized) struct EngineStopRulesTests {
    static let steps = 24

    /// The greedy run with no stop at all, its prompt, and the engine.
    static func plainRun() throws -> (engine: Engine, prompt: [Int], tokens: [Int]) {
        let engine = try EngineHarness.engine()
        let prompt = try EngineHarness.references.get().prompts[0].input_ids
        let plain = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: steps, stopTokenIDs: []))
        return (engine, prompt, plain.tokenIDs)
    }

    /// A token of `tokens` whose first occurrence is at index ≥ 3 (so a
    /// min_tokens can be set past it), and that index.
    static func laterToken(_ tokens: [Int]) throws -> (token: Int, first: Int) {
        let index = try #require(tokens.indices.first { $0 >= 3 && tokens.firstIndex(of: tokens[$0]) == $0 })
        return (tokens[index], index)
    }

    @Test func aStopTokenIDEndsTheOutputThereEvenWithIgnoreEOS() throws {
        let (engine, prompt, plain) = try Self.plainRun()
        defer { engine.shutdown() }
        let tokenizer = try EngineHarness.tokenizer.get()
        let (stop, first) = try Self.laterToken(plain)
        let result = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: Self.steps, stopTokenIDs: [],
                                                      extraStopTokenIDs: [stop]))
        #expect(result.finishReason == .stop)
        #expect(result.tokenIDs == Array(plain[...first]))
        #expect(result.text == tokenizer.decode(Array(plain[..<first]), skipSpecialTokens: true))
        // include_stop_str_in_output: the stop token's text is the last piece.
        let including = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: Self.steps, stopTokenIDs: [],
                                                         extraStopTokenIDs: [stop], includeStopInOutput: true))
        #expect(including.tokenIDs == Array(plain[...first]))
        #expect(including.text == tokenizer.decode(Array(plain[...first]), skipSpecialTokens: true))
    }

    /// min_tokens m past the stop token's first occurrence: the first m
    /// tokens are those of a run that bans the token with a -100 bias, and
    /// the rest is the greedy continuation of the prompt plus those m.
    @Test func minTokensHoldsTheStopTokenBackForExactlyThatMany() throws {
        let (engine, prompt, plain) = try Self.plainRun()
        defer { engine.shutdown() }
        let (stop, first) = try Self.laterToken(plain)
        let m = first + 3
        let held = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: Self.steps, stopTokenIDs: [],
                                                    extraStopTokenIDs: [stop], minTokens: m))
        let banned = try engine.run(GenerationRequest(promptTokens: prompt, sampling: SamplingParameters(temperature: 0, logitBias: [stop: -100]),
                                                      maxTokens: m, stopTokenIDs: []))
        #expect(Array(held.tokenIDs.prefix(m)) == banned.tokenIDs)
        #expect(held.tokenIDs.count > first + 1)
        let rest = try engine.run(GenerationRequest(promptTokens: prompt + banned.tokenIDs, maxTokens: Self.steps - m,
                                                    stopTokenIDs: [], extraStopTokenIDs: [stop]))
        #expect(Array(held.tokenIDs.dropFirst(m)) == rest.tokenIDs)
    }

    /// Stop strings are looked for only after the first min_tokens tokens
    /// (vLLM): the text is those tokens' text, then the rest of the plain
    /// run's text up to the first stop string in it.
    @Test func minTokensDefersStopStringsAndIncludeKeepsTheStopString() throws {
        let (engine, prompt, plain) = try Self.plainRun()
        defer { engine.shutdown() }
        let tokenizer = try EngineHarness.tokenizer.get()
        let text = tokenizer.decode(plain, skipSpecialTokens: true)
        // A stop string that occurs in the text at least twice, the first time early.
        let stop = try #require((2...4).lazy.flatMap { length in
            (0..<(text.count - length)).lazy.map { String(text.dropFirst($0).prefix(length)) }
        }.first { candidate in
            !candidate.contains("\u{FFFD}") && text.components(separatedBy: candidate).count >= 3
        })
        let cut = try #require(text.range(of: stop))
        #expect(try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: Self.steps, stop: [stop],
                                                 stopTokenIDs: [])).text == String(text[..<cut.lowerBound]))
        let including = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: Self.steps, stop: [stop],
                                                         stopTokenIDs: [], includeStopInOutput: true))
        #expect(including.text == String(text[..<cut.upperBound]))

        let m = plain.indices.first { tokenizer.decode(Array(plain[..<$0]), skipSpecialTokens: true).count > cut.upperBound.utf16Offset(in: text) } ?? plain.count
        try #require(m < plain.count)
        let head = tokenizer.decode(Array(plain[..<m]), skipSpecialTokens: true)
        let tail = String(text.dropFirst(head.count))
        let expected = head + (tail.range(of: stop).map { String(tail[..<$0.lowerBound]) } ?? tail)
        let deferred = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: Self.steps, stop: [stop],
                                                        stopTokenIDs: [], minTokens: m))
        #expect(deferred.text == expected)
        #expect(deferred.text.count > String(text[..<cut.lowerBound]).count)
    }

    @Test func skipSpecialTokensDecidesWhetherASpecialTokensTextIsOutput() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let tokenizer = try EngineHarness.tokenizer.get()
        let eos = 2047   // <|end_of_text|>, special
        let forced = SamplingParameters(temperature: 0, logitBias: [eos: 100])
        let kept = try engine.run(GenerationRequest(promptTokens: [2046, 100], sampling: forced, maxTokens: 3,
                                                    stopTokenIDs: [], skipSpecialTokens: false))
        #expect(kept.tokenIDs == [eos, eos, eos])
        #expect(kept.text == tokenizer.decode([eos, eos, eos]) && kept.text.contains("<|end_of_text|>"))
        let skipped = try engine.run(GenerationRequest(promptTokens: [2046, 100], sampling: forced, maxTokens: 3, stopTokenIDs: []))
        #expect(skipped.tokenIDs == [eos, eos, eos] && skipped.text.isEmpty)
    }

    /// Greedy over allowed_token_ids equals a loop written here: the
    /// model's logits step by step, argmax over the allowed ids only.
    @Test func allowedTokenIDsRestrictGreedyToTheBestAllowedToken() throws {
        let (engine, prompt, plain) = try Self.plainRun()
        defer { engine.shutdown() }
        let allowed: Set<Int> = [plain[1], 7, 42, 1000, 2047]
        let steps = 6
        let expected = try EngineHarness.stepByStep(prompt: prompt, steps: steps) { logits, _ in
            try #require(allowed.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) })
        }
        let result = try engine.run(GenerationRequest(promptTokens: prompt, sampling: SamplingParameters(temperature: 0, allowedTokenIDs: allowed),
                                                      maxTokens: steps, stopTokenIDs: []))
        #expect(result.tokenIDs == expected)
        #expect(expected != Array(plain.prefix(steps)))
    }

    @Test func outOfVocabularyStopTokenIDsAndAllowedIDsAreRefusedNamingTheField() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        #expect(throws: EngineError.invalidParameter(name: "stop_token_ids", reason: "token id 2048 is outside the vocabulary (0..<2048)")) {
            _ = try engine.submit(GenerationRequest(promptTokens: [1], extraStopTokenIDs: [5, 2048, 4000]), onEvent: { _ in })
        }
        #expect(throws: EngineError.invalidParameter(name: "allowed_token_ids", reason: "token id 2048 is outside the vocabulary (0..<2048)")) {
            _ = try engine.submit(GenerationRequest(promptTokens: [1], sampling: SamplingParameters(allowedTokenIDs: [3, 2048])), onEvent: { _ in })
        }
        // Only stop tokens allowed, yet min_tokens > 0: nothing could be generated.
        #expect(throws: EngineError.invalidParameter(name: "allowed_token_ids", reason: "every allowed token ends the output, "
                                                     + "so min_tokens 2 can never be met")) {
            _ = try engine.submit(GenerationRequest(promptTokens: [1], sampling: SamplingParameters(allowedTokenIDs: [2047, 9]),
                                                    extraStopTokenIDs: [9], minTokens: 2), onEvent: { _ in })
        }
        #expect(throws: EngineError.invalidParameter(name: "min_p", reason: "must be in [0, 1]")) {
            _ = try engine.submit(GenerationRequest(promptTokens: [1], sampling: SamplingParameters(minP: 1.5)), onEvent: { _ in })
        }
    }
}
