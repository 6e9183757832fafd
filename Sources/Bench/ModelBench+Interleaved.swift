import Foundation
import Kernels
import Llama
import LoRA

extension ModelBench {
    /// Two batches decoded step by step in turn — a step of `first`, a step
    /// of `second`, the order swapped every step — so a change of load on a
    /// shared machine hits both within milliseconds, where whole timed runs
    /// seconds apart (`decodeTokensPerSecond`) see different loads. Each
    /// side keeps its own sequences (prefilled with a prompt of its
    /// `promptLengths` entry, 8 tokens by default, cut back to it every
    /// round; K/V cached in `kvFormat`). The sides may decode different
    /// numbers of rows (a batch against a single stream) and from different
    /// positions (long context against short). Returns, for `rounds` ×
    /// `steps` step pairs, the median of (first's step time per row ÷
    /// second's) — second's tokens/s ÷ first's, robust to a step that lost
    /// its core — and the same ratio of the summed times.
    func interleavedDecodeRatio(first: [[AdapterUse]], second: [[AdapterUse]], steps: Int, rounds: Int = 3,
                                promptLengths: (Int, Int) = (8, 8), kvFormat: WeightFormat = .f32) throws -> (median: Double, total: Double) {
        let vocab = model.config.vocabSize
        let prompts = [promptLengths.0, promptLengths.1]
        let sides = try zip([first, second], prompts).map { mixes, promptLength in
            (plan: LoRABatchPlan(rows: mixes), promptLength: promptLength,
             sequences: try prefilledSequences(mixes: mixes, promptLength: promptLength, steps: steps, kvFormat: kvFormat))
        }
        let perRow = (1 / Double(first.count), 1 / Double(second.count))
        var ratios: [Double] = [], totals = (0.0, 0.0)
        for _ in 0..<rounds {
            for side in sides { for seq in side.sequences { seq.truncate(to: side.promptLength) } }
            var tokens = [first, second].map { mixes in mixes.indices.map { ($0 * 7 + 3) % vocab } }
            for s in 0..<steps {
                var seconds = (0.0, 0.0)
                for i in (s % 2 == 0 ? [0, 1] : [1, 0]) {
                    let start = ContinuousClock.now
                    try decodeStep(sides[i].sequences, tokens: &tokens[i], position: sides[i].promptLength + s, plan: sides[i].plan)
                    let elapsed = (ContinuousClock.now - start).seconds
                    if i == 0 { seconds.0 = elapsed * perRow.0 } else { seconds.1 = elapsed * perRow.1 }
                }
                ratios.append(seconds.0 / seconds.1)
                totals.0 += seconds.0
                totals.1 += seconds.1
            }
        }
        ratios.sort()
        return (ratios[ratios.count / 2], totals.0 / totals.1)
    }
}
