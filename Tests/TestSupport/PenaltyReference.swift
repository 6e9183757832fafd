/// The logits adjustments read densely, as a second computation for tests:
/// bin counts of the output and a prompt mask over the whole vocabulary, then
/// each rule element by element in the order vLLM's sampler applies them —
/// `logit_bias` (OpenAI's API reference), the repetition penalty of
/// transformers' RepetitionPenaltyLogitsProcessor (over prompt and output),
/// then OpenAI's frequency and presence penalties (over the output only).
public enum PenaltyReference {
    public static func adjusted(_ logits: [Float], prompt: [Int], generated: [Int], presence: Float = 0,
                                frequency: Float = 0, repetition: Float = 1, bias: [Int: Float] = [:]) -> [Float] {
        let n = logits.count
        var counts = [Int](repeating: 0, count: n)
        for token in generated { counts[token] += 1 }
        var inPrompt = [Bool](repeating: false, count: n)
        for token in prompt { inPrompt[token] = true }
        var out = logits
        for i in 0..<n {
            out[i] += bias[i] ?? 0
            if inPrompt[i] || counts[i] > 0 {
                out[i] = out[i] > 0 ? out[i] / repetition : out[i] * repetition
            }
            out[i] -= frequency * Float(counts[i])
            out[i] -= counts[i] > 0 ? presence : 0
        }
        return out
    }
}
