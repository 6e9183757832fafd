import Llama

extension SamplingParameters {
    /// Refuses, naming the request field, settings the sampler cannot honour
    /// for a model of `vocabSize` tokens. The HTTP layer checks the same
    /// ranges; this guards every other caller (and the Float conversion:
    /// a repetition penalty that rounds to 0 is refused, not divided by).
    func validate(vocabSize: Int) throws(EngineError) {
        guard temperature.isFinite, temperature >= 0 else {
            throw .invalidParameter(name: "temperature", reason: "must be a finite number ≥ 0")
        }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw .invalidParameter(name: "top_p", reason: "must be in (0, 1]") }
        guard topK >= 0 else { throw .invalidParameter(name: "top_k", reason: "must be ≥ 0") }
        guard minP.isFinite, minP >= 0, minP <= 1 else { throw .invalidParameter(name: "min_p", reason: "must be in [0, 1]") }
        let penalties = Self.penaltyRange
        guard penalties.contains(presencePenalty) else {
            throw .invalidParameter(name: "presence_penalty", reason: "must be in \(penalties.lowerBound)...\(penalties.upperBound)")
        }
        guard penalties.contains(frequencyPenalty) else {
            throw .invalidParameter(name: "frequency_penalty", reason: "must be in \(penalties.lowerBound)...\(penalties.upperBound)")
        }
        guard repetitionPenalty > 0, repetitionPenalty <= Self.maxRepetitionPenalty else {
            throw .invalidParameter(name: "repetition_penalty", reason: "must be in (0, \(Self.maxRepetitionPenalty)]")
        }
        guard logitBias.count <= Self.maxLogitBiasEntries else {
            throw .invalidParameter(name: "logit_bias", reason: "at most \(Self.maxLogitBiasEntries) entries")
        }
        // Ascending, so the refusal names the same id every time.
        if let bad = logitBias.keys.filter({ !(0..<vocabSize).contains($0) }).min() {
            throw .invalidParameter(name: "logit_bias", reason: "token id \(bad) is outside the vocabulary (0..<\(vocabSize))")
        }
        if let allowed = allowedTokenIDs {
            guard !allowed.isEmpty else { throw .invalidParameter(name: "allowed_token_ids", reason: "must not be empty") }
            guard allowed.count <= Self.maxAllowedTokenIDs else {
                throw .invalidParameter(name: "allowed_token_ids", reason: "at most \(Self.maxAllowedTokenIDs) ids")
            }
            if let bad = allowed.filter({ !(0..<vocabSize).contains($0) }).min() {
                throw .invalidParameter(name: "allowed_token_ids", reason: "token id \(bad) is outside the vocabulary (0..<\(vocabSize))")
            }
        }
        if let bad = logitBias.filter({ !Self.logitBiasRange.contains($0.value) }).min(by: { $0.key < $1.key }) {
            throw .invalidParameter(name: "logit_bias", reason: "the bias of token \(bad.key) must be in "
                + "\(Self.logitBiasRange.lowerBound)...\(Self.logitBiasRange.upperBound), got \(bad.value)")
        }
    }
}
