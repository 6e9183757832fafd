import Foundation
import Testing
import Kernels
@testable import Llama

/// The sampler with the logits adjustment: it runs before greedy's argmax
/// and before temperature and top-k, and it counts the tokens the sampler
/// itself picked.
@Suite struct SamplerAdjustmentTests {
    func randomLogits(_ n: Int, seed: UInt64, spread: Double = 8) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUnit() * spread - spread / 2) }
    }

    @Test func greedyAndSamplingPickATokenBiasedBy100EveryStep() {
        let logits = randomLogits(300, seed: 1)
        let least = logits.indices.min { logits[$0] < logits[$1] } ?? 0
        var greedy = Sampler(SamplingParameters(temperature: 0, logitBias: [least: 100]))
        var warm = Sampler(SamplingParameters(temperature: 0.7, topP: 0.9, seed: 5, logitBias: [least: 100]))
        for _ in 0..<20 {
            #expect(greedy.sample(logits) == least)
            #expect(warm.sample(logits) == least)
        }
    }

    /// With every logit within 1 of the others, a presence penalty of 2
    /// keeps greedy off every token it generated: it walks down the logits
    /// in descending order (ties: the lower id first, as argmax).
    @Test func aLargePresencePenaltyKeepsGreedyFromRepeatingAGeneratedToken() {
        let logits = randomLogits(50, seed: 3, spread: 1)
        var sampler = Sampler(SamplingParameters(temperature: 0, presencePenalty: 2))
        let picks = (0..<30).map { _ in sampler.sample(logits) }
        #expect(Set(picks).count == picks.count)
        let descending = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        #expect(picks == Array(descending.prefix(30)))
        // Unpenalised, greedy repeats its first pick forever.
        var plain = Sampler(.greedy)
        #expect((0..<30).map { _ in plain.sample(logits) } == Array(repeating: descending[0], count: 30))
    }

    /// Each step a new row of logits; each pick must be the argmax of the
    /// dense reference given the prompt and the picks so far.
    @Test func greedyIsTheArgmaxOfTheReferenceAdjustmentEveryStep() {
        let prompt = [3, 5, 5, 8]
        let p = SamplingParameters(temperature: 0, presencePenalty: 0.3, frequencyPenalty: 0.4, repetitionPenalty: 1.6,
                                   logitBias: [2: 1.5, 7: -0.5])
        var sampler = Sampler(p, prompt: prompt)
        var generated: [Int] = []
        for step in 0..<40 {
            let logits = randomLogits(12, seed: 100 + UInt64(step % 4), spread: 3)
            let expected = VectorMath.argmax(LogitsAdjustmentTests.reference(logits, prompt: prompt, generated: generated, p))
            let token = sampler.sample(logits)
            #expect(token == expected, "step \(step)")
            generated.append(token)
        }
        #expect(Set(generated).count > 1)
    }

    @Test func theRepetitionPenaltyCountsThePromptInGreedyMode() {
        let logits: [Float] = [2, 1.5]
        var penalised = Sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2), prompt: [0])
        #expect(penalised.sample(logits) == 1)   // 2 / 2 = 1 < 1.5
        var fresh = Sampler(SamplingParameters(temperature: 0, repetitionPenalty: 2), prompt: [1])
        #expect(fresh.sample(logits) == 0)       // 1.5 / 2 = 0.75 < 2
    }

    /// Bias before temperature (as OpenAI's and vLLM's processors run): with
    /// logits [0, 0], a bias of ln 3 on token 1 and temperature 0.5, token 1
    /// has probability 3² / (1 + 3²) = 0.9. Biasing after the temperature
    /// would give 3 / 4.
    @Test func logitBiasAppliesBeforeTemperature() {
        var sampler = Sampler(SamplingParameters(temperature: 0.5, seed: 9, logitBias: [1: Float(Foundation.log(3.0))]))
        let n = 20_000
        let ones = (0..<n).reduce(0) { count, _ in count + sampler.sample([Float(0), 0]) }
        let observed = Double(ones) / Double(n)
        // 4σ of a binomial proportion at p = 0.9, n = 20000 is 0.0085.
        #expect(abs(observed - 0.9) < 0.009, "observed \(observed)")
    }

    @Test func logitBiasAppliesBeforeTopK() {
        // Token 0 would be the top-1; banned, top-2 keeps tokens 1 and 2.
        var sampler = Sampler(SamplingParameters(temperature: 1, topK: 2, seed: 4, logitBias: [0: -100]))
        let draws = (0..<500).map { _ in sampler.sample([Float(5), 4.5, 4, -3]) }
        #expect(Set(draws) == [1, 2])
    }
}
