import Kernels

/// Picks tokens from logits: first the sequence's logits adjustment
/// (`logit_bias`, repetition, frequency and presence penalties — see
/// `LogitsAdjustment`), then greedy, or temperature → min-p → top-k → top-p
/// → draw: vLLM's order, and without min-p the order transformers'
/// `generate` applies its logits processors and warpers
/// (`TemperatureLogitsWarper`, `TopKLogitsWarper`, `TopPLogitsWarper`, then
/// `torch.multinomial` over the softmax).
///
/// One sampler per sequence: it owns that sequence's RNG, so a seeded request
/// repeats exactly whatever else shares the batch, and the history its
/// penalties count (the prompt, and every token it picked).
///
/// Cost: this runs once per sequence per step on the engine thread, so it
/// never sorts the vocabulary. Top-k is a bounded heap; top-p sorts only
/// the most likely tokens, widening until the nucleus is inside them
/// (`Sampler+Nucleus.swift`). A full sort of SmolLM's 49,152 logits per
/// token cost several milliseconds — more than a batch-8 decode step spends
/// on each of its rows.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SeededGenerator
    private var adjustment: LogitsAdjustment

    /// A sampler for a sequence that starts from `prompt` (which only the
    /// repetition penalty reads) and may not pick a `heldBack` id (its stop
    /// ids) among its first `minTokens` tokens.
    public init(_ parameters: SamplingParameters, prompt: [Int] = [], holdingBack heldBack: Set<Int> = [], forFirst minTokens: Int = 0) {
        self.parameters = parameters
        generator = SeededGenerator(seed: parameters.seed ?? UInt64.random(in: .min ... .max))
        adjustment = LogitsAdjustment(parameters, prompt: prompt, holdingBack: heldBack, forFirst: minTokens)
    }

    /// The next token id for one row of logits (vocab values), recorded as
    /// generated for the penalties of the next steps.
    public mutating func sample<C: Collection>(_ logits: C) -> Int where C.Element == Float {
        // The one copy of the row: the adjustment works on it in place.
        var values = Array(logits)
        adjustment.apply(to: &values)
        let token = pick(values)
        adjustment.record(token)
        return token
    }

    /// The token drawn from already adjusted `values`.
    private mutating func pick(_ values: [Float]) -> Int {
        if parameters.isGreedy { return VectorMath.argmax(values) }
        if !parameters.filters(vocabulary: values.count) {
            // Nothing filtered: draw straight from the vocabulary-wide softmax.
            return draw(ids: values.indices, probabilities: Self.probabilities(values, parameters))
        }
        let kept = Self.survivors(values, parameters)
        return draw(ids: kept.ids, probabilities: kept.probabilities)
    }

    /// Inverse-CDF draw over tokens `ids` (ascending) with `probabilities`.
    private mutating func draw<Ids: Collection<Int>>(ids: Ids, probabilities: [Float]) -> Int {
        let u = generator.nextUnit()
        var cumulative = 0.0
        var last = ids.first ?? 0
        for (id, p) in zip(ids, probabilities) where p > 0 {
            cumulative += Double(p)
            last = id
            if u < cumulative { return id }
        }
        return last   // rounding left u ≥ the total: the last surviving token
    }

    /// The distribution `sample` draws from, over the whole vocabulary
    /// (zeros for filtered tokens).
    public static func probabilities(_ logits: [Float], _ parameters: SamplingParameters) -> [Float] {
        if !parameters.filters(vocabulary: logits.count) {
            var scores = scaled(logits, parameters)
            scores.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { Softmax.inPlace(p, count: $0.count) } }
            return scores
        }
        var full = [Float](repeating: 0, count: logits.count)
        let kept = survivors(logits, parameters)
        for (id, p) in zip(kept.ids, kept.probabilities) { full[id] = p }
        return full
    }
}

extension SamplingParameters {
    /// Whether min-p, top-k or top-p may remove a token of a `vocabulary`-sized row.
    func filters(vocabulary: Int) -> Bool {
        minP > 0 || (topK > 0 && topK < vocabulary) || topP < 1
    }
}
