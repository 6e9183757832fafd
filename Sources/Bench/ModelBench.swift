import Foundation
import Kernels
import Llama
import LoRA

/// Model-level timings: the forward pass driven directly, no engine, so the
/// numbers isolate the kernels (the engine's own costs are measured apart).
struct ModelBench {
    let model: LlamaModel
    let workspace = Workspace()

    /// Aggregate decode tokens/s with one row per sequence, `mixes[i]` being
    /// sequence i's adapters, each caching K/V in `kvFormat`. Each sequence
    /// first prefills a `promptLength` prompt (once: every timed run is cut
    /// back to it, so a long prompt is not paid per repeat and no timed
    /// step grows a cache); the best of `repeats` timed runs of `steps`
    /// steps is reported.
    func decodeTokensPerSecond(mixes: [[AdapterUse]], steps: Int = 32, repeats: Int = 3, promptLength: Int = 8,
                               kvFormat: WeightFormat = .f32) throws -> Double {
        try decodeTokensPerSecond(mixes: mixes, steps: steps, repeats: repeats, promptLengths: [promptLength],
                                  kvFormats: [kvFormat], attentionPaths: [workspace.attentionPath])[0][0][0]
    }

    /// The same for each KV cache format in `kvFormats`, each prompt length
    /// in `promptLengths` (its own sequences, prefilled once) and each
    /// decode-attention implementation in `attentionPaths`: the repeats
    /// alternate every (format, length, path) triple in turn, so a change of
    /// machine load hits them alike and their ratios hold within the run.
    /// Returns the best tokens/s of each, [format][length][path].
    func decodeTokensPerSecond(mixes: [[AdapterUse]], steps: Int, repeats: Int = 3, promptLengths: [Int],
                               kvFormats: [WeightFormat], attentionPaths: [KernelPath]) throws -> [[[Double]]] {
        let rows = mixes.count
        let vocab = model.config.vocabSize
        let sets = try kvFormats.map { kv in
            try promptLengths.map { try prefilledSequences(mixes: mixes, promptLength: $0, steps: steps, kvFormat: kv) }
        }
        let plan = LoRABatchPlan(rows: mixes)
        let chosen = workspace.attentionPath
        defer { workspace.attentionPath = chosen }
        var best = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: attentionPaths.count),
                                                      count: promptLengths.count), count: kvFormats.count)
        for _ in 0..<repeats {
            for f in kvFormats.indices {
                for (l, promptLength) in promptLengths.enumerated() {
                    for (p, path) in attentionPaths.enumerated() {
                        workspace.attentionPath = path
                        let sequences = sets[f][l]
                        for seq in sequences { seq.truncate(to: promptLength) }
                        var tokens = (0..<rows).map { ($0 * 7 + 3) % vocab }
                        let start = ContinuousClock.now
                        for s in 0..<steps {
                            try decodeStep(sequences, tokens: &tokens, position: promptLength + s, plan: plan)
                        }
                        let seconds = (ContinuousClock.now - start).seconds
                        best[f][l][p] = max(best[f][l][p], Double(rows * steps) / seconds)
                    }
                }
            }
        }
        return best
    }

    /// One sequence per row of `mixes` (caching K/V in `kvFormat`, room for
    /// `steps` more positions), each prefilled with a `promptLength`-token
    /// prompt in one batched forward.
    func prefilledSequences(mixes: [[AdapterUse]], promptLength: Int, steps: Int,
                            kvFormat: WeightFormat = .f32) throws -> [SequenceState] {
        let vocab = model.config.vocabSize
        let sequences = mixes.map { _ in model.makeSequence(capacity: promptLength + steps + 8, kvFormat: kvFormat) }
        var prefill: [ForwardRow] = []
        var prefillMixes: [[AdapterUse]] = []
        for (i, seq) in sequences.enumerated() {
            for p in 0..<promptLength {
                prefill.append(ForwardRow(sequence: seq, token: (i * 131 + p * 17) % vocab, position: p, needsLogits: p == promptLength - 1))
                prefillMixes.append(mixes[i])
            }
        }
        _ = try model.forward(prefill, lora: LoRABatchPlan(rows: prefillMixes), workspace: workspace)
        return sequences
    }

    /// One decode step of every sequence at `position`, feeding `tokens` and
    /// replacing them with the greedy next tokens (the data dependence a
    /// real decode has).
    func decodeStep(_ sequences: [SequenceState], tokens: inout [Int], position: Int, plan: LoRABatchPlan) throws {
        let batch = sequences.indices.map { ForwardRow(sequence: sequences[$0], token: tokens[$0], position: position) }
        let logits = try model.forward(batch, lora: plan, workspace: workspace)
        for r in sequences.indices {
            if let row = logits[r] {
                tokens[r] = row.withUnsafeBufferPointer { VectorMath.argmax($0.baseAddress!, count: $0.count) }
            }
        }
    }

    /// Prefill of one `tokens`-long prompt: (tokens/s, GFLOP/s), best of `repeats`.
    func prefill(tokens: Int, mix: [AdapterUse] = [], repeats: Int = 3) throws -> (tokensPerSecond: Double, gflops: Double) {
        let vocab = model.config.vocabSize
        var best = 0.0
        for _ in 0..<repeats {
            let seq = model.makeSequence(capacity: tokens + 1)
            let rows = (0..<tokens).map { ForwardRow(sequence: seq, token: ($0 * 97 + 5) % vocab, position: $0, needsLogits: $0 == tokens - 1) }
            let plan = LoRABatchPlan(rows: Array(repeating: mix, count: tokens))
            let start = ContinuousClock.now
            _ = try model.forward(rows, lora: plan, workspace: workspace)
            best = max(best, Double(tokens) / (ContinuousClock.now - start).seconds)
        }
        return (best, best * flopsPerPrefillToken(tokens: tokens) / 1e9)
    }

    /// Matmul + attention FLOPs per prompt token for a `tokens`-long prefill
    /// (2 per multiply-add; the lm_head runs for the last row only).
    func flopsPerPrefillToken(tokens: Int) -> Double {
        let c = model.config
        // QKᵀ and PV: each query attends to (position + 1) keys on average (T+1)/2.
        let attention = 2 * 2 * Double(c.numAttentionHeads * c.headDim) * Double(tokens + 1) / 2 * Double(c.numHiddenLayers)
        return layerProjectionFlops + attention + lmHeadFlops / Double(tokens)
    }

    /// FLOPs of every layer's projections for one row (2 per multiply-add).
    var layerProjectionFlops: Double {
        let c = model.config
        let h = Double(c.hiddenSize), q = Double(c.queryDim), kv = Double(c.keyValueDim), i = Double(c.intermediateSize)
        return 2 * (h * (q + 2 * kv) + q * h + 3 * h * i) * Double(c.numHiddenLayers)
    }

    /// FLOPs of the lm_head for one row.
    var lmHeadFlops: Double { 2 * Double(model.config.hiddenSize) * Double(model.config.vocabSize) }

    /// FLOPs of one decode row's projections, the lm_head included: what a
    /// batch step multiplies per row while it streams every weight once.
    var decodeProjectionFlopsPerRow: Double { layerProjectionFlops + lmHeadFlops }

    /// Microseconds to pick one token from a vocab-wide row of logits with
    /// `parameters`, best of `repeats` × 20 draws: engine work per sequence
    /// per step, paid once per row on the engine thread.
    func samplingMicroseconds(_ parameters: SamplingParameters, repeats: Int = 3) -> Double {
        var rng = SeededGenerator(seed: 7)
        // Logits shaped like a model's: a few likely tokens over a long tail.
        let logits = (0..<model.config.vocabSize).map { _ in Float(rng.nextUnit() * 8 - 4) + (rng.nextUnit() < 0.001 ? 8 : 0) }
        var best = Double.infinity
        var sampler = Sampler(parameters)
        var sink = 0
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            for _ in 0..<20 { sink &+= sampler.sample(logits) }
            best = min(best, (ContinuousClock.now - start).seconds / 20)
        }
        precondition(sink >= 0)   // keeps the draws from being optimised away
        return best * 1e6
    }
}
