import Foundation
import Testing
import Llama
import LoRA
import TestSupport
@testable import Serving

/// Prompt scoring (`GenerationRequest.promptLogprobs`: completions' echo
/// with logprobs, lm-evaluation-harness's loglikelihood requests) against
/// the model's own logits of every position, and against the logprobs the
/// same tokens got when they were generated.
@Suite(.serialized) struct EnginePromptScoresTests {
    /// log-softmax in Double of one row of logits at `token`, its rank, and
    /// the ids of the `k` largest.
    static func reference(_ logits: [Float], token: Int, k: Int) -> (logprob: Double, rank: Int, top: [Int]) {
        let m = Double(logits.max() ?? 0)
        let z = logits.reduce(0.0) { $0 + exp(Double($1) - m) }
        let logprob = Double(logits[token]) - m - log(z)
        let rank = 1 + logits.filter { $0 > logits[token] }.count
        let top = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(k)
        return (logprob, rank, Array(top))
    }

    /// The logits of every position of `prompt`, in one forward pass.
    static func everyPosition(_ prompt: [Int]) throws -> [[Float]] {
        let model = try EngineHarness.model.get()
        let sequence = model.makeSequence()
        let rows = prompt.indices.map { ForwardRow(sequence: sequence, token: prompt[$0], position: $0) }
        let logits = try model.forward(rows, lora: LoRABatchPlan(rows: rows.map { _ in [] }), workspace: Workspace())
        return try prompt.indices.map { try #require(logits[$0]).map { $0 } }
    }

    @Test(arguments: [nil, 3] as [Int?])
    func promptScoresEqualTheModelsLogitsAtEveryPosition(chunk: Int?) throws {
        var configuration = EngineConfiguration()
        if let chunk { configuration.maxPrefillTokensPerStep = chunk }
        let engine = try EngineHarness.engine(configuration)
        defer { engine.shutdown() }
        let prompt = try EngineHarness.references.get().prompts[1].input_ids
        let collector = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 0, promptLogprobs: 3), onEvent: collector.handler)
        let result = collector.wait()
        #expect(result.finishReason == .length && result.completionTokens == 0 && result.text.isEmpty)
        let scores = try #require(collector.promptScores)
        #expect(scores.count == prompt.count - 1)
        let logits = try Self.everyPosition(prompt)
        for (i, score) in scores.enumerated() {
            let expected = Self.reference(logits[i], token: prompt[i + 1], k: 3)
            #expect(score.id == prompt[i + 1])
            #expect(abs(Double(score.logprob) - expected.logprob) < 1e-4, "position \(i + 1)")
            #expect(score.rank == expected.rank, "position \(i + 1)")
            #expect(score.topLogprobs.map(\.id) == expected.top, "position \(i + 1)")
        }
        #expect(scores.contains { $0.rank > 1 }, "some prompt token is not the model's first choice")
    }

    /// Scoring a greedy continuation as a prompt gives back the logprobs it
    /// was generated with (the decode kernels against the prefill ones).
    @Test func scoringAGeneratedTextGivesTheLogprobsItWasGeneratedWith() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let prompt = try EngineHarness.references.get().prompts[0].input_ids
        let generated = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 12, stopTokenIDs: [], logprobs: 0),
                              onEvent: generated.handler)
        let tokens = generated.wait().tokenIDs
        let scored = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt + tokens, maxTokens: 0, promptLogprobs: 0), onEvent: scored.handler)
        _ = scored.wait()
        let scores = Array(try #require(scored.promptScores).suffix(tokens.count))
        #expect(scores.map(\.id) == tokens)
        #expect(scores.allSatisfy { $0.rank == 1 }, "greedy tokens are each position's first choice")
        for (score, token) in zip(scores, generated.tokens) {
            #expect(abs(score.logprob - (token.logprob ?? 0)) < 1e-4)
        }
    }

    /// A prompt that only gets scored may fill the whole context (an
    /// lm-evaluation-harness input cut to max_length); one to continue may not.
    @Test func aScoredPromptMayFillTheContext() throws {
        var configuration = EngineConfiguration()
        configuration.contextLength = 6
        let engine = try EngineHarness.engine(configuration)
        defer { engine.shutdown() }
        let prompt = [2046, 100, 200, 300, 400, 500]
        let collector = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 0, promptLogprobs: 0), onEvent: collector.handler)
        #expect(collector.wait().finishReason == .length && collector.promptScores?.count == 5)
        #expect(throws: EngineError.promptTooLong(tokens: 6, contextLength: 6)) {
            _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 1), onEvent: { _ in })
        }
    }

    @Test func maxTokensZeroWithoutScoresReadsThePromptAndGeneratesNothing() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let collector = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: [2046, 100, 200], maxTokens: 0), onEvent: collector.handler)
        let result = collector.wait()
        #expect(result.finishReason == .length && result.tokenIDs.isEmpty && collector.promptScores == nil)
        #expect(throws: EngineError.self) {
            _ = try engine.submit(GenerationRequest(promptTokens: [1], maxTokens: -1), onEvent: { _ in })
        }
    }
}
