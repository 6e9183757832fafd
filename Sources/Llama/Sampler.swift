import Kernels

/// Picks tokens from logits: greedy, or temperature → top-k → top-p → draw,
/// the order transformers' `generate` applies its logits warpers
/// (`TemperatureLogitsWarper`, `TopKLogitsWarper`, `TopPLogitsWarper`, then
/// `torch.multinomial` over the softmax).
///
/// One sampler per sequence: it owns that sequence's RNG so a seeded request
/// repeats exactly whatever else shares the batch.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SeededGenerator

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        generator = SeededGenerator(seed: parameters.seed ?? UInt64.random(in: .min ... .max))
    }

    /// The next token id for one row of logits (vocab values).
    public mutating func sample<C: Collection>(_ logits: C) -> Int where C.Element == Float {
        let values = Array(logits)
        if parameters.isGreedy { return VectorMath.argmax(values) }
        let probs = Self.probabilities(values, parameters)
        // Inverse-CDF draw over the surviving tokens.
        let u = generator.nextUnit()
        var cumulative = 0.0
        var last = 0
        for (i, p) in probs.enumerated() where p > 0 {
            cumulative += Double(p)
            last = i
            if u < cumulative { return i }
        }
        return last   // rounding left u ≥ the total: the last surviving token
    }

    /// The distribution `sample` draws from (zeros for filtered tokens).
    public static func probabilities(_ logits: [Float], _ parameters: SamplingParameters) -> [Float] {
        var scores = logits
        if parameters.temperature > 0, parameters.temperature != 1 {
            for i in scores.indices { scores[i] /= parameters.temperature }
        }
        // TopKLogitsWarper: remove every score < the k-th largest (ties at the
        // k-th value survive, as `scores < topk(...)[..., -1]`).
        if parameters.topK > 0, parameters.topK < scores.count {
            let kth = scores.sorted(by: >)[parameters.topK - 1]
            for i in scores.indices where scores[i] < kth { scores[i] = -.infinity }
        }
        // TopPLogitsWarper: sort ascending, cumulative softmax, drop tokens
        // whose cumulative probability ≤ 1 - top_p, always keep the top one.
        if parameters.topP < 1 {
            // -inf entries (filtered by top-k) have probability 0 and would be
            // dropped anyway; leaving them out keeps the sort to the survivors.
            let order = scores.indices.filter { scores[$0] > -.infinity }.sorted { scores[$0] < scores[$1] }
            let sortedProbs = Softmax.apply(order.map { scores[$0] })
            var cumulative: Float = 0
            for (rank, index) in order.enumerated() {
                cumulative += sortedProbs[rank]
                if cumulative <= 1 - parameters.topP, rank != order.count - 1 {
                    scores[index] = -.infinity
                }
            }
        }
        return Softmax.apply(scores)
    }
}
