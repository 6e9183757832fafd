import Testing
import Kernels
@testable import Llama

/// The sampler's heap / partial-sort filtering against the direct reading of
/// transformers' warpers (full sorts of the vocabulary, as lorad first did
/// it, with the top-p cumulative sum in Double): the same tokens survive
/// with the same probabilities, and the same seed draws the same tokens.
@Suite struct SamplerReferenceTests {
    /// TemperatureLogitsWarper → min-p → TopKLogitsWarper → TopPLogitsWarper
    /// → softmax, each as transformers (min-p: vLLM's MinPLogitsProcessor,
    /// in vLLM's place before top-k) writes it, over the whole vocabulary.
    static func reference(_ logits: [Float], _ parameters: SamplingParameters) -> [Float] {
        var scores = logits
        if parameters.temperature > 0, parameters.temperature != 1 {
            for i in scores.indices { scores[i] /= parameters.temperature }
        }
        if parameters.minP > 0 {
            // probs < min_p × max(probs) are masked.
            let probs = Softmax.apply(scores)
            let floor = parameters.minP * (probs.max() ?? 0)
            for i in scores.indices where probs[i] < floor { scores[i] = -.infinity }
        }
        if parameters.topK > 0, parameters.topK < scores.count {
            let kth = scores.sorted(by: >)[parameters.topK - 1]
            for i in scores.indices where scores[i] < kth { scores[i] = -.infinity }
        }
        if parameters.topP < 1 {
            let order = scores.indices.filter { scores[$0] > -.infinity }.sorted { scores[$0] < scores[$1] }
            // torch leaves the softmax's summation order open; this one sums
            // in token order, as the sampler does (a different order moves
            // every probability by an ulp, and a 10,000-token nucleus's cut
            // with it).
            let probs = Softmax.apply(scores)
            let sortedProbs = order.map { probs[$0] }
            var cumulative = 0.0   // transformers sums in float32; exact enough here only in Double
            for (rank, index) in order.enumerated() {
                cumulative += Double(sortedProbs[rank])
                if cumulative <= 1 - Double(parameters.topP), rank != order.count - 1 {
                    scores[index] = -.infinity
                }
            }
        }
        return Softmax.apply(scores)
    }

    /// Logits like a language model's: a long tail and a few standouts.
    static func logits(_ n: Int, seed: UInt64, spread: Double) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUnit() * spread - spread / 2) + (rng.nextUnit() < 0.002 ? 6 : 0) }
    }

    static let settings: [SamplingParameters] = [
        SamplingParameters(temperature: 1),
        SamplingParameters(temperature: 0.7, topK: 40),
        SamplingParameters(temperature: 1.3, topK: 1000),
        SamplingParameters(temperature: 0.8, topP: 0.95),
        SamplingParameters(temperature: 1, topP: 0.5),
        SamplingParameters(temperature: 1, topP: 0.999),   // the nucleus outgrows the first partial sorts
        SamplingParameters(temperature: 0.6, topK: 50, topP: 0.9),
        SamplingParameters(temperature: 2, topK: 5000, topP: 0.8),
        SamplingParameters(temperature: 1, minP: 0.1),
        SamplingParameters(temperature: 0.7, topP: 0.9, minP: 0.02),
        SamplingParameters(temperature: 1.5, topK: 100, minP: 0.3),
        SamplingParameters(temperature: 1, minP: 1),   // only the most likely token(s)
    ]

    @Test(arguments: [(5_000, 8.0), (49_152, 8.0), (49_152, 30.0), (300, 1.0)])
    func survivorsAndProbabilitiesMatchTheFullSortReading(vocab: Int, spread: Double) {
        for (s, parameters) in Self.settings.enumerated() {
            let logits = Self.logits(vocab, seed: UInt64(vocab + s), spread: spread)
            let ours = Sampler.probabilities(logits, parameters)
            let theirs = Self.reference(logits, parameters)
            let keptOurs = ours.indices.filter { ours[$0] > 0 }, keptTheirs = theirs.indices.filter { theirs[$0] > 0 }
            let same = keptOurs == keptTheirs
            #expect(same, "\(parameters): kept \(keptOurs.count) vs \(keptTheirs.count), first difference at rank \(zip(keptOurs, keptTheirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
            #expect(maxAbsDiff(ours, theirs) < 1e-6, "\(parameters)")
        }
    }

    @Test func sameSeedDrawsTheSameTokensAsTheReferenceDistribution() {
        let logits = Self.logits(49_152, seed: 11, spread: 8)
        for parameters in Self.settings {
            var p = parameters
            p.seed = 99
            var sampler = Sampler(p), generator = SeededGenerator(seed: 99)
            let probs = Self.reference(logits, p)
            for _ in 0..<50 {
                // The reference draw: inverse CDF in token-id order.
                let u = generator.nextUnit()
                var cumulative = 0.0, expected = 0
                for (i, q) in probs.enumerated() where q > 0 {
                    cumulative += Double(q)
                    expected = i
                    if u < cumulative { break }
                }
                #expect(sampler.sample(logits) == expected, "\(p)")
            }
        }
    }

    @Test func tiesAtTheTopPCutFollowTheStableAscendingOrder() {
        // Four equal logits: each 0.25. top_p 0.5 keeps two; the ascending
        // stable sort drops the lower ids first, so ids 2 and 3 stay.
        let p = Sampler.probabilities([1, 1, 1, 1], SamplingParameters(topP: 0.5))
        #expect(p == Self.reference([1, 1, 1, 1], SamplingParameters(topP: 0.5)))
        #expect(p[2] > 0 && p[3] > 0 && p[0] == 0 && p[1] == 0)
    }

    @Test func degenerateRowsStillGiveADistribution() {
        let allNegInf = [Float](repeating: -.infinity, count: 4)
        #expect(Sampler.probabilities(allNegInf, SamplingParameters(topK: 2)) == [0.25, 0.25, 0.25, 0.25])
        // logit / temperature overflowing to +inf takes all the mass.
        let overflow = Sampler.probabilities([3e38, 1, 3e38, 0], SamplingParameters(temperature: 0.1))
        #expect(overflow == [0.5, 0, 0.5, 0])
        var sampler = Sampler(SamplingParameters(temperature: 0.1, seed: 1))
        #expect([0, 2].contains(sampler.sample([3e38, 1, 3e38, 0])))
    }
}
