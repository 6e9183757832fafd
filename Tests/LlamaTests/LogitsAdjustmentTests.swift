import Testing
import TestSupport
@testable import Llama

/// `LogitsAdjustment` (kept incrementally, touching only the tokens that
/// occurred) against `PenaltyReference`, the dense reading of the rules over
/// the whole vocabulary, and against values worked out by hand.
@Suite struct LogitsAdjustmentTests {
    static func reference(_ logits: [Float], prompt: [Int], generated: [Int], _ p: SamplingParameters) -> [Float] {
        PenaltyReference.adjusted(logits, prompt: prompt, generated: generated, presence: p.presencePenalty,
                                  frequency: p.frequencyPenalty, repetition: p.repetitionPenalty, bias: p.logitBias)
    }

    /// What the adjustment makes of `logits` once the sequence generated `generated`.
    static func adjusted(_ logits: [Float], prompt: [Int], generated: [Int], _ p: SamplingParameters) -> [Float] {
        var adjustment = LogitsAdjustment(p, prompt: prompt)
        for token in generated { adjustment.record(token) }
        var out = logits
        adjustment.apply(to: &out)
        return out
    }

    @Test func theRepetitionPenaltyDividesPositiveLogitsAndMultipliesTheOthersOncePerToken() {
        let logits: [Float] = [2, -2, 0.5, -0.5, 3, 0]
        // 0 and 1 only in the prompt, 2 generated twice, 3 in both, 4 never, 5 (a zero logit) generated.
        let out = Self.adjusted(logits, prompt: [0, 1, 3], generated: [2, 2, 3, 5], SamplingParameters(repetitionPenalty: 2))
        #expect(out == [1, -4, 0.25, -1, 3, 0])
    }

    @Test func presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        let logits: [Float] = [1, 1, 1, 1]
        let p = SamplingParameters(presencePenalty: 0.5, frequencyPenalty: 0.25)
        // Token 0 is only in the prompt: untouched. 1 generated once, 2 three times.
        let out = Self.adjusted(logits, prompt: [0, 0], generated: [1, 2, 2, 2], p)
        #expect(out == [1, 1 - 0.25 - 0.5, 1 - 0.75 - 0.5, 1])
    }

    @Test func negativePenaltiesRaiseTheTokensAlreadyGenerated() {
        let out = Self.adjusted([0, 0], prompt: [], generated: [1, 1], SamplingParameters(presencePenalty: -1, frequencyPenalty: -0.5))
        #expect(out == [0, 2])
    }

    @Test func logitBiasIsAddedToItsEntriesOnly() {
        let out = Self.adjusted([0, 1, 2, 3], prompt: [1], generated: [2], SamplingParameters(logitBias: [0: 5, 2: -100]))
        #expect(out == [5, 1, -98, 3])
    }

    @Test func theDefaultsLeaveEveryLogitAsItIs() {
        var rng = SeededGenerator(seed: 11)
        let logits = (0..<64).map { _ in Float(rng.nextUnit() * 12 - 6) }
        let adjustment = LogitsAdjustment(SamplingParameters(), prompt: [1, 2, 3])
        #expect(adjustment.isIdentity)
        #expect(Self.adjusted(logits, prompt: [1, 2, 3], generated: [4, 4, 5], SamplingParameters()) == logits)
    }

    /// Random logits (negative, positive and exact zeros), prompts and
    /// outputs drawn from a small range so tokens repeat, and every setting
    /// at once. The same IEEE operations in the same order per token, so
    /// the results are equal, not just close.
    @Test func everyAdjustmentTogetherMatchesTheDenseReference() {
        var rng = SeededGenerator(seed: 2024)
        func uniform(_ range: ClosedRange<Float>) -> Float { range.lowerBound + Float(rng.nextUnit()) * (range.upperBound - range.lowerBound) }
        let vocab = 40
        for trial in 0..<300 {
            let logits = (0..<vocab).map { _ in rng.nextUnit() < 0.1 ? 0 : uniform(-6...6) }
            let prompt = (0..<Int(rng.next() % 12)).map { _ in Int(rng.next() % 25) }
            let generated = (0..<Int(rng.next() % 30)).map { _ in Int(rng.next() % 25) }
            var bias: [Int: Float] = [:]
            for _ in 0..<Int(rng.next() % 6) { bias[Int(rng.next() % UInt64(vocab))] = uniform(-100...100) }
            let p = SamplingParameters(presencePenalty: uniform(-2...2), frequencyPenalty: uniform(-2...2),
                                       repetitionPenalty: trial % 3 == 0 ? 1 : uniform(0.2...3), logitBias: bias)
            let expected = Self.reference(logits, prompt: prompt, generated: generated, p)
            let actual = Self.adjusted(logits, prompt: prompt, generated: generated, p)
            #expect(actual == expected, "trial \(trial): \(p)")
        }
    }

    @Test func idsOutsideTheRowAreSkippedNotACrash() {
        let out = Self.adjusted([1, 2], prompt: [7], generated: [9],
                                SamplingParameters(presencePenalty: 1, repetitionPenalty: 2, logitBias: [5: 10, 1: 1]))
        #expect(out == [1, 3])
    }
}
