/// The logits processors that run before the sampler's warpers, for one
/// sequence: vLLM's `allowed_token_ids` and `min_tokens`, OpenAI's
/// `logit_bias`, the repetition penalty of transformers'
/// `RepetitionPenaltyLogitsProcessor`, and OpenAI's frequency and presence
/// penalties — in the order vLLM's sampler applies them (the allowed-token
/// mask, then the min-tokens and bias logits processors, then its
/// `apply_penalties`: repetition, frequency, presence). They run before
/// temperature, min-p, top-k and top-p (as transformers' processors run
/// before its warpers), and greedy decoding takes the argmax of what they
/// leave.
///
/// The rules, per token t of the vocabulary:
/// - `allowed_token_ids`: logit[t] = -inf unless t is allowed.
/// - `min_tokens` m: while fewer than m tokens are generated, logit[t] =
///   -inf for every stop token id t (vLLM's MinTokensLogitsProcessor: the
///   end-of-sequence ids and `stop_token_ids`), so the sequence cannot end
///   before m tokens.
/// - `logit_bias`: logit[t] += bias[t] (OpenAI's API reference).
/// - repetition penalty p, when t is in the prompt or the output so far:
///   logit[t] = logit[t] > 0 ? logit[t] / p : logit[t] · p (transformers'
///   RepetitionPenaltyLogitsProcessor; vLLM counts the prompt too). Applied
///   once per token, however often it occurred.
/// - frequency f and presence r, with c[t] the times the sequence generated t
///   (the prompt does not count — OpenAI's definition, and vLLM's):
///   logit[t] -= f · c[t], then logit[t] -= r · [c[t] > 0].
///
/// Cost: this runs once per sequence per step on the engine thread, on the
/// copy of the row the sampler already makes. It never scans or copies the
/// vocabulary: counts are kept as tokens are generated (one dictionary
/// update each), the penalties touch only the tokens that occurred and the
/// bias only its entries.
public struct LogitsAdjustment: Sendable {
    public let presencePenalty: Float
    public let frequencyPenalty: Float
    public let repetitionPenalty: Float
    /// The non-zero `logit_bias` entries, by ascending id.
    private let bias: [(id: Int, value: Float)]
    /// `allowed_token_ids` in ascending order; nil = every token.
    private let allowed: [Int]?
    /// Ids held at -inf while fewer than `holdFor` tokens are generated (min_tokens).
    private let heldBack: [Int]
    private let holdFor: Int
    private var generatedCount = 0
    /// Times each token was generated; kept only with a presence or frequency penalty.
    private var generatedCounts: [Int: Int] = [:]
    /// Every distinct token of the prompt and the output, once; kept only
    /// with a repetition penalty.
    private var occurred: [Int] = []
    private var occurredSet: Set<Int> = []

    /// The adjustment `parameters` ask for, for a sequence that starts from
    /// `prompt`, with `heldBack` (the stop ids) unpickable for the first
    /// `minTokens` generated tokens.
    public init(_ parameters: SamplingParameters, prompt: [Int], holdingBack heldBack: Set<Int> = [], forFirst minTokens: Int = 0) {
        presencePenalty = parameters.presencePenalty
        frequencyPenalty = parameters.frequencyPenalty
        repetitionPenalty = parameters.repetitionPenalty
        bias = parameters.logitBias.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { (id: $0.key, value: $0.value) }
        allowed = parameters.allowedTokenIDs.map { $0.sorted() }
        self.heldBack = minTokens > 0 ? heldBack.sorted() : []
        holdFor = minTokens
        for token in prompt { noteOccurrence(token) }
    }

    /// Whether the adjustment leaves every logit as it is (at this step).
    public var isIdentity: Bool { bias.isEmpty && !penalisesRepetition && !countsGenerated && allowed == nil && !holdsBack }

    private var holdsBack: Bool { generatedCount < holdFor && !heldBack.isEmpty }

    private var penalisesRepetition: Bool { repetitionPenalty != 1 }
    private var countsGenerated: Bool { presencePenalty != 0 || frequencyPenalty != 0 }

    /// Records a token the sequence generated (call once per sampled token).
    public mutating func record(_ token: Int) {
        generatedCount += 1
        if countsGenerated { generatedCounts[token, default: 0] += 1 }
        noteOccurrence(token)
    }

    private mutating func noteOccurrence(_ token: Int) {
        if penalisesRepetition, occurredSet.insert(token).inserted { occurred.append(token) }
    }

    /// Adjusts one row of logits (the whole vocabulary) in place. Token ids
    /// are checked against the vocabulary when a request is submitted; one
    /// outside the row is skipped, never a crash.
    public func apply(to logits: inout [Float]) {
        guard !isIdentity else { return }
        logits.withUnsafeMutableBufferPointer { row in
            if let allowed {
                // -inf on every gap between consecutive allowed ids.
                var next = 0
                for id in allowed where row.indices.contains(id) {
                    for gap in next..<id { row[gap] = -.infinity }
                    next = id + 1
                }
                for gap in next..<row.count { row[gap] = -.infinity }
            }
            if holdsBack {
                for id in heldBack where row.indices.contains(id) { row[id] = -.infinity }
            }
            for (id, value) in bias where row.indices.contains(id) { row[id] += value }
            if penalisesRepetition {
                let p = repetitionPenalty
                for id in occurred where row.indices.contains(id) {
                    let logit = row[id]
                    row[id] = logit > 0 ? logit / p : logit * p
                }
            }
            for (id, count) in generatedCounts where row.indices.contains(id) {
                row[id] -= frequencyPenalty * Float(count)
                row[id] -= presencePenalty
            }
        }
    }
}
