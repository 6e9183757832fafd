import Testing
import Kernels
import Llama
import LoRA
import TestSupport
@testable import Serving

/// The penalties and `logit_bias` through the engine: they read the
/// sequence's own prompt and output, and the engine refuses what the
/// sampler could not honour, naming the field.
@Suite struct EnginePenaltyTests {
    /// Greedy decoding with every adjustment at once equals a loop written
    /// here: the model's logits step by step, `PenaltyReference` over the
    /// prompt and the tokens so far, argmax. And it differs from plain
    /// greedy, so the adjustment did something.
    @Test func penalisedGreedyGenerationMatchesAStepByStepReference() throws {
        let prompt = try EngineHarness.references.get().prompts[0].input_ids
        let bias: [Int: Float] = [prompt[prompt.count - 1]: 1.5, 100: -3]
        let sampling = SamplingParameters(temperature: 0, presencePenalty: 0.4, frequencyPenalty: 0.6,
                                          repetitionPenalty: 1.3, logitBias: bias)
        let steps = 24

        let expected = try EngineHarness.stepByStep(prompt: prompt, steps: steps) { logits, generated in
            VectorMath.argmax(PenaltyReference.adjusted(
                logits, prompt: prompt, generated: generated, presence: 0.4, frequency: 0.6, repetition: 1.3, bias: bias))
        }

        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let penalised = try engine.run(GenerationRequest(promptTokens: prompt, sampling: sampling, maxTokens: steps, stopTokenIDs: []))
        #expect(penalised.tokenIDs == expected)
        let plain = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: steps, stopTokenIDs: []))
        #expect(plain.tokenIDs != expected)
    }

    @Test func logitBiasAndPenaltiesOutsideTheirRangesAreRefusedNamingTheField() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        func submit(_ sampling: SamplingParameters) throws {
            _ = try engine.submit(GenerationRequest(promptTokens: [2046, 100], sampling: sampling), onEvent: { _ in })
        }
        #expect(throws: EngineError.invalidParameter(name: "logit_bias", reason: "token id 2048 is outside the vocabulary (0..<2048)")) {
            try submit(SamplingParameters(logitBias: [5: 1, 2048: 1, 9999: 1]))
        }
        #expect(throws: EngineError.invalidParameter(name: "logit_bias", reason: "token id -1 is outside the vocabulary (0..<2048)")) {
            try submit(SamplingParameters(logitBias: [-1: 1]))
        }
        #expect(throws: EngineError.invalidParameter(name: "logit_bias", reason: "the bias of token 3 must be in -100.0...100.0, got 101.0")) {
            try submit(SamplingParameters(logitBias: [3: 101]))
        }
        let many = Dictionary(uniqueKeysWithValues: (0...SamplingParameters.maxLogitBiasEntries).map { ($0, Float(1)) })
        #expect(throws: EngineError.invalidParameter(name: "logit_bias", reason: "at most 1024 entries")) {
            try submit(SamplingParameters(logitBias: many))
        }
        for (name, sampling) in [("presence_penalty", SamplingParameters(presencePenalty: 2.5)),
                                 ("frequency_penalty", SamplingParameters(frequencyPenalty: -.nan)),
                                 ("repetition_penalty", SamplingParameters(repetitionPenalty: 0)),
                                 ("repetition_penalty", SamplingParameters(repetitionPenalty: 101))] {
            #expect {
                try submit(sampling)
            } throws: { error in
                guard case .invalidParameter(let field, _) = error as? EngineError else { return false }
                return field == name
            }
        }
    }
}
