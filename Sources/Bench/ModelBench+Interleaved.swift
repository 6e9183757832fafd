import Foundation
import Kernels
import Llama
import LoRA

extension ModelBench {
    /// Two batches decoded step by step in turn — a step of `first`, a step
    /// of `second`, the order swapped every step — so a change of load on a
    /// shared machine hits both within milliseconds, where whole timed runs
    /// seconds apart (`decodeTokensPerSecond`) see different loads. Each
    /// side keeps its own sequences (prefilled with an 8-token prompt, cut
    /// back to it every round). Returns, for `rounds` × `steps` step pairs,
    /// the median of (first's step time ÷ second's step time) — second's
    /// tokens/s ÷ first's, robust to a step that lost its core — and the same
    /// ratio of the summed times.
    func interleavedDecodeRatio(first: [[AdapterUse]], second: [[AdapterUse]], steps: Int, rounds: Int = 3) throws -> (median: Double, total: Double) {
        precondition(first.count == second.count, "both sides decode the same number of rows")
        let promptLength = 8, rows = first.count, vocab = model.config.vocabSize
        let sides = [first, second].map { mixes in
            (mixes: mixes, plan: LoRABatchPlan(rows: mixes),
             sequences: (0..<rows).map { _ in model.makeSequence(capacity: promptLength + steps + 8) })
        }
        for side in sides {
            var prefill: [ForwardRow] = [], prefillMixes: [[AdapterUse]] = []
            for (i, seq) in side.sequences.enumerated() {
                for p in 0..<promptLength {
                    prefill.append(ForwardRow(sequence: seq, token: (i * 131 + p * 17) % vocab, position: p, needsLogits: p == promptLength - 1))
                    prefillMixes.append(side.mixes[i])
                }
            }
            _ = try model.forward(prefill, lora: LoRABatchPlan(rows: prefillMixes), workspace: workspace)
        }
        var ratios: [Double] = [], totals = (0.0, 0.0)
        for _ in 0..<rounds {
            for side in sides { for seq in side.sequences { seq.truncate(to: promptLength) } }
            var tokens = Array(repeating: (0..<rows).map { ($0 * 7 + 3) % vocab }, count: 2)
            for s in 0..<steps {
                var seconds = (0.0, 0.0)
                for i in (s % 2 == 0 ? [0, 1] : [1, 0]) {
                    let side = sides[i]
                    let batch = (0..<rows).map { ForwardRow(sequence: side.sequences[$0], token: tokens[i][$0], position: promptLength + s) }
                    let start = ContinuousClock.now
                    let logits = try model.forward(batch, lora: side.plan, workspace: workspace)
                    // Greedy next token: keeps the data dependence a real decode has.
                    for r in 0..<rows {
                        if let row = logits[r] {
                            tokens[i][r] = row.withUnsafeBufferPointer { VectorMath.argmax($0.baseAddress!, count: $0.count) }
                        }
                    }
                    let elapsed = (ContinuousClock.now - start).seconds
                    if i == 0 { seconds.0 = elapsed } else { seconds.1 = elapsed }
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
