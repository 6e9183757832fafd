import Testing
import Kernels
@testable import Llama

@Suite struct SamplerTests {
    func randomLogits(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUnit() * 8 - 4) }
    }

    @Test func greedyIsTheArgmax() {
        for seed in 0..<20 as Range<UInt64> {
            let logits = randomLogits(300, seed: seed)
            var sampler = Sampler(.greedy)
            #expect(sampler.sample(logits) == VectorMath.argmax(logits))
        }
    }

    @Test func topKOfOneIsGreedyAtAnyTemperature() {
        let logits = randomLogits(300, seed: 5)
        var sampler = Sampler(SamplingParameters(temperature: 1.7, topK: 1, seed: 3))
        for _ in 0..<50 { #expect(sampler.sample(logits) == VectorMath.argmax(logits)) }
    }

    @Test func theSameSeedRepeatsTheSameDraws() {
        let logits = randomLogits(100, seed: 6)
        let p = SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: 1234)
        var a = Sampler(p), b = Sampler(p)
        let drawsA = (0..<200).map { _ in a.sample(logits) }
        let drawsB = (0..<200).map { _ in b.sample(logits) }
        #expect(drawsA == drawsB)
        var c = Sampler(SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: 1235))
        #expect((0..<200).map { _ in c.sample(logits) } != drawsA)
    }

    /// At temperature 1 with no filtering the draws follow softmax(logits).
    @Test func drawsFollowTheSoftmaxAtTemperatureOne() {
        let logits: [Float] = [2, 1, 0.5, 0, -1, -3]
        let expected = Softmax.apply(logits)
        var sampler = Sampler(SamplingParameters(temperature: 1, seed: 42))
        let n = 20000
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<n { counts[sampler.sample(logits)] += 1 }
        for i in logits.indices {
            let observed = Float(counts[i]) / Float(n)
            // 4σ of a binomial proportion at n = 20000 is ≤ 0.0142.
            #expect(abs(observed - expected[i]) < 0.015, "token \(i): \(observed) vs \(expected[i])")
        }
    }

    @Test func temperatureSharpensTheDistribution() {
        let logits: [Float] = [1, 0, -1]
        let cold = Sampler.probabilities(logits, SamplingParameters(temperature: 0.5))
        let expected = Softmax.apply([2, 0, -2])
        #expect(maxAbsDiff(cold, expected) < 1e-6)
    }

    @Test func topKKeepsTheKLargestAndTies() {
        let p = Sampler.probabilities([3, 1, 2, 2, 0], SamplingParameters(topK: 2))
        #expect(p[1] == 0 && p[4] == 0)
        #expect(p[0] > 0 && p[2] > 0 && p[3] > 0)   // the tie at the 2nd value survives
    }

    /// transformers TopPLogitsWarper: keep the smallest most-likely set whose
    /// mass reaches top_p; always at least one token.
    @Test func topPKeepsTheSmallestNucleus() {
        // probabilities ≈ 0.6439, 0.2369, 0.0871, 0.0321
        let logits: [Float] = [3, 2, 1, 0]
        let p70 = Sampler.probabilities(logits, SamplingParameters(topP: 0.7))
        #expect(p70[0] > 0 && p70[1] > 0 && p70[2] == 0 && p70[3] == 0)
        let p50 = Sampler.probabilities(logits, SamplingParameters(topP: 0.5))
        #expect(p50 == [1, 0, 0, 0])
        let tiny = Sampler.probabilities(logits, SamplingParameters(topP: 0.0001))
        #expect(tiny == [1, 0, 0, 0])
        let renormalised = Softmax.apply([3, 2])
        #expect(abs(p70[0] - renormalised[0]) < 1e-6)
    }
}
