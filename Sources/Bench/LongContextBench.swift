import CLI
import Foundation
import Kernels
import Llama
import LoRA

/// Long-context decode rows of `lorad bench`: 8 sequences with 8 distinct
/// q,v r=8 adapters decoding from position 1024 against the same from
/// position 8, per weight format and KV cache format. The weights a step
/// streams are the same at both positions; what grows is attention, which
/// reads every sequence's whole cache each step (at 1024 positions and
/// SmolLM's shape: 8 × 1024 × 30 layers × 2 × 192 values, 377 MB in F32,
/// half in 16 bits — as much as the F32 weights), so the ratio says how
/// close to streaming speed the cache is read.
///
/// The timed runs at position 8 and at 1024 of every KV cache format
/// alternate in one loop per weight format (the ratio is the target, the
/// formats are compared with each other, and load moves on this shared
/// machine between rows taken minutes apart); for the 16-bit caches the two
/// positions are also decoded step by step in turn, which holds the ratio
/// against load that changes within seconds. Where the process's kernel
/// path is not the portable one, every row is also timed with the portable
/// (Swift) decode attention in the same loop, and the attention kernels are
/// timed alone over the same cache shape.
enum LongContextBench {
    static let position = 1024

    /// The attention implementations compared: the process's, and the
    /// portable one when that differs.
    static var paths: [KernelPath] {
        KernelPath.active == .portable ? [.portable] : [KernelPath.active, .portable]
    }

    /// The attention rows, then the decode rows of `model` (F32 weights)
    /// and of the same checkpoint (`folder`) loaded with BF16 weights.
    static func run(model f32: LlamaModel, folder: URL, steps: Int, bandwidth: Double,
                    report: inout BenchReport) throws {
        attentionRows(config: f32.config, bandwidth: bandwidth, report: &report)
        let models = [("F32", f32), ("BF16", try LlamaModel.load(folder: folder, weightsFormat: .bf16))]
        for (label, model) in models {
            let c = model.config
            let bench = ModelBench(model: model)
            let distinct = (0..<8).map {
                [AdapterUse(SyntheticModel.adapter(name: "qv8-\($0)", config: c, kinds: [.q, .v], rank: 8,
                                                   seed: UInt64(10 + $0)))]
            }
            let weightBytes = Double(model.weights.bytesReadPerToken)
            // Every KV format at position 8 and `position`, each path, alternating in one loop.
            let formats = WeightFormat.allCases
            let all = try bench.decodeTokensPerSecond(mixes: distinct, steps: steps, promptLengths: [8, position],
                                                      kvFormats: Array(formats), attentionPaths: paths)
            for (f, kv) in formats.enumerated() {
                let (short, long) = (all[f][0], all[f][1])
                // Bytes one step reads at `position`: the weights once, and
                // every sequence's cache (its positions × bytes per position).
                let cacheBytes = Double(distinct.count * (position + steps / 2)
                                        * SequenceState.bytesPerPosition(config: c, format: kv))
                let stepSeconds = Double(distinct.count) / long[0]
                let streamed = (weightBytes + cacheBytes) / stepSeconds
                var note = "\(format(long[0] / short[0], 3)) of the same from position 8 (\(format(short[0])) tok/s); a step reads \(format(weightBytes / 1e6)) MB of weights + \(format(cacheBytes / 1e6)) MB of KV = \(format(streamed / 1e9, 1)) GB/s, \(format(streamed / bandwidth, 2)) of the read bandwidth; \(format(long[0] / all[0][1][0], 2))× the F32 cache's tok/s at \(position)"
                if paths.count > 1 {
                    note += "; portable attention, alternating: \(format(long[1])) tok/s, \(format(long[1] / short[1], 3)) of its position 8 (\(format(short[1])) tok/s); \(paths[0].rawValue) ÷ portable at \(position): \(format(long[0] / long[1], 2))×"
                }
                report.add("\(label) weights, \(kv.rawValue.uppercased()) KV: decode, batch 8, 8 distinct adapters, from position \(position) (\(paths[0].rawValue) attention)",
                           "\(format(long[0])) tok/s", note)
            }
            // The target's ratio once more for the 16-bit caches, the two
            // positions decoded step by step in turn: load that changes
            // between the timed runs above cannot move it.
            for kv in formats where kv != .f32 {
                let ratio = try bench.interleavedDecodeRatio(first: distinct, second: distinct, steps: steps,
                                                             promptLengths: (8, position), kvFormat: kv)
                report.add("\(label) weights, \(kv.rawValue.uppercased()) KV: position \(position) ÷ position 8, steps interleaved",
                           "\(format(ratio.median, 3))", "median of step pairs (tok/s ratio); \(format(ratio.total, 3)) over their summed times")
            }
        }
    }

    /// Decode attention alone over the long-context rows' cache: 8
    /// sequences × every layer × every KV head at `position` positions, the
    /// (sequence, KV head) pairs of a layer spread over the compute pool as
    /// the forward pass does; one "step" is every layer once. Best of 5
    /// steps per format and path, every (format, path) pair alternating.
    static func attentionRows(config c: LlamaConfig, bandwidth: Double, report: inout BenchReport) {
        let sequences = 8, layers = c.numHiddenLayers, kvHeads = c.numKeyValueHeads, hd = c.headDim
        let group = c.numAttentionHeads / kvHeads, count = position
        let slices = sequences * layers * kvHeads   // one KV head of one layer of one sequence: (count, hd)
        let pool = ComputePool.shared
        // (sequences · kvHeads, group, hd) queries; the same for every layer.
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: sequences * kvHeads * group * hd)
        defer { queries.deallocate() }
        for i in 0..<(sequences * kvHeads * group * hd) { queries[i] = Float((i * 37) % 101) / 101 - 0.5 }
        // (sequences · kvHeads, group, count) scores, (sequences · kvHeads, group, hd) outputs
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: sequences * kvHeads * group * count)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: sequences * kvHeads * group * hd)
        defer { scores.deallocate(); out.deallocate() }
        let formats = WeightFormat.allCases
        // Per format: (slices, count, hd) keys and values in [-1, 1), on ordinary pages.
        let caches = formats.map { kv in
            [1, 2].map { seed in
                WeightBuffer.filled(count: slices * count * hd, format: kv) { i in
                    Float((i &* 7919 &+ seed &* 104_729) % 2003) / 1001.5 - 1
                }
            }
        }
        nonisolated(unsafe) let (q, s, o) = (queries, scores, out)
        // [format][path], every (format, path) pair in turn, 5 times.
        var best = formats.map { _ in [Double](repeating: .infinity, count: paths.count) }
        for _ in 0..<5 {
            for (f, kv) in formats.enumerated() {
                let sliceBytes = count * hd * kv.byteSize
                nonisolated(unsafe) let (k, v) = (caches[f][0].raw, caches[f][1].raw)
                for (p, path) in paths.enumerated() {
                    let start = ContinuousClock.now
                    for layer in 0..<layers {
                        pool.run(parts: sequences * kvHeads) { part in
                            let slice = (part / kvHeads * layers + layer) * kvHeads + part % kvHeads
                            DecodeAttention.group(q: q + part * group * hd, heads: group, keys: k + slice * sliceBytes,
                                                  values: v + slice * sliceBytes, format: kv, count: count, headDim: hd,
                                                  scale: 0.125, scores: s + part * group * count,
                                                  out: o + part * group * hd, path: path)
                        }
                    }
                    best[f][p] = min(best[f][p], (ContinuousClock.now - start).seconds)
                }
            }
        }
        for (f, kv) in formats.enumerated() {
            let bytes = Double(2 * slices * count * hd * kv.byteSize)
            var note = "\(format(bytes / 1e6)) MB of K and V: \(format(bytes / best[f][0] / 1e9, 2)) GB/s = \(format(bytes / best[f][0] / bandwidth, 2)) of the read bandwidth; \(format(best[f][0] / best[0][0], 3)) of the F32 cache's time"
            if paths.count > 1 {
                note += "; portable: \(format(best[f][1] * 1e3, 2)) ms, \(format(bytes / best[f][1] / 1e9, 2)) GB/s; \(paths[0].rawValue) ÷ portable time \(format(best[f][0] / best[f][1], 3))"
            }
            report.add("decode attention alone, \(kv.rawValue.uppercased()) KV: 8 sequences × \(layers) layers × \(kvHeads) KV heads (\(group) query heads each) at \(count) positions (\(paths[0].rawValue))",
                       "\(format(best[f][0] * 1e3, 2)) ms", note)
        }
    }
}
