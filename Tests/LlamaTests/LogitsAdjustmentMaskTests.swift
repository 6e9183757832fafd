import Testing
@testable import Llama

/// vLLM's `allowed_token_ids` and `min_tokens` masks in `LogitsAdjustment`,
/// against the rules read directly over the whole row.
@Suite struct LogitsAdjustmentMaskTests {
    /// The dense reading: -inf outside `allowed`, -inf on `held` while fewer
    /// than `minTokens` are generated, then the bias.
    static func reference(_ logits: [Float], allowed: Set<Int>?, held: Set<Int>, minTokens: Int, generated: Int,
                          bias: [Int: Float]) -> [Float] {
        logits.indices.map { t in
            if let allowed, !allowed.contains(t) { return -.infinity }
            if generated < minTokens, held.contains(t) { return -.infinity }
            return logits[t] + (bias[t] ?? 0)
        }
    }

    @Test func onlyTheAllowedTokensKeepTheirLogits() {
        var rng = SeededGenerator(seed: 3)
        for vocab in [1, 2, 7, 300] {
            let logits = (0..<vocab).map { _ in Float(rng.nextUnit() * 8 - 4) }
            for _ in 0..<20 {
                let allowed = Set((0..<vocab).filter { _ in rng.nextUnit() < 0.3 } + [Int(rng.nextUnit() * Double(vocab))])
                let p = SamplingParameters(logitBias: [0: 1.5], allowedTokenIDs: allowed)
                var row = logits
                LogitsAdjustment(p, prompt: []).apply(to: &row)
                #expect(row == Self.reference(logits, allowed: allowed, held: [], minTokens: 0, generated: 0, bias: [0: 1.5]))
            }
        }
    }

    @Test func stopTokensAreHeldBackForTheFirstMinTokensOnly() {
        let logits: [Float] = [0, 5, 1, 9, 2]
        let held: Set<Int> = [3, 1]
        var adjustment = LogitsAdjustment(SamplingParameters(), prompt: [], holdingBack: held, forFirst: 2)
        for generated in 0..<4 {
            #expect(adjustment.isIdentity == (generated >= 2))
            var row = logits
            adjustment.apply(to: &row)
            #expect(row == Self.reference(logits, allowed: nil, held: held, minTokens: 2, generated: generated, bias: [:]),
                    "after \(generated) tokens")
            adjustment.record(0)
        }
    }

    @Test func greedyPicksTheBestAllowedTokenAndNoStopTokenBeforeMinTokens() {
        var sampler = Sampler(.greedy, prompt: [], holdingBack: [3], forFirst: 2)
        let logits: [Float] = [0, 5, 1, 9, 2]
        #expect(sampler.sample(logits) == 1)
        #expect(sampler.sample(logits) == 1)
        #expect(sampler.sample(logits) == 3)
        var allowed = Sampler(SamplingParameters(temperature: 0, allowedTokenIDs: [0, 2, 4]))
        #expect(allowed.sample(logits) == 4)
    }
}
