import CLI
import Foundation
import Kernels
import Llama
import LoRA

/// The 16-bit rows of `lorad bench`: the same synthetic model loaded with
/// its matrices resident in BF16 and in F16 (converted at load, as
/// `weights_dtype` does), each row against its own bound — the bandwidth
/// divided by the bytes a 16-bit decode step streams — and against F32.
enum SixteenBitBench {
    /// F32 results of the same run to compare against.
    struct Baseline {
        let bandwidth: Double
        /// OpenBLAS sgemm on 2048³, GFLOP/s: what this machine's cores
        /// multiply at when nothing but the arithmetic limits them.
        let sgemmPeak: Double
        /// OpenBLAS sgemm at the batch-8 decode shape (8 × 1536 × 576, F32
        /// weights in cache), GFLOP/s.
        let sgemmEightRows: Double
        let residentBytes: Int
        let decode: Double, prefill: Double, batch8Distinct: Double
    }

    static func run(folder: URL, steps: Int, baseline: Baseline, report: inout BenchReport) throws {
        for weights in [WeightFormat.bf16, .f16] {
            let name = weights.rawValue.uppercased()
            let model = try LlamaModel.load(folder: folder, weightsFormat: weights)
            let resident = model.weights.residentBytes
            report.add("\(name): resident weight bytes", "\(format(Double(resident) / 1e6)) MB",
                       "\(format(Double(resident) / Double(baseline.residentBytes), 3)) of F32's")
            let bytes = Double(model.weights.bytesReadPerToken)
            let bound = baseline.bandwidth / bytes
            let bench = ModelBench(model: model)
            // The single stream's best of 3 runs, each after a read probe:
            // on a shared machine the probe at the top of the run can see
            // another load than these runs (probes 26–40 GB/s minutes apart),
            // so its best alternated with them is the bound beside it.
            var bestProbe = 0.0, single = 0.0
            for _ in 0..<3 {
                bestProbe = max(bestProbe, MachineProbe.readBandwidth(pool: .shared, pages: .huge))
                single = max(single, try bench.decodeTokensPerSecond(mixes: [[]], steps: steps, repeats: 1))
            }
            report.add("\(name): decode, 1 stream, base", "\(format(single)) tok/s",
                       "\(format(single / bound, 2)) of its bound (\(format(bound)) tok/s = bandwidth ÷ \(format(bytes / 1e6)) MB); effective \(format(single * bytes / 1e9, 1)) GB/s; \(format(single / baseline.decode, 2))× F32")
            report.add("\(name): decode, 1 stream ÷ its bound, alternated with the probe", "\(format(single * bytes / bestProbe, 2))",
                       "best of 3 each: \(format(single)) tok/s × \(format(bytes / 1e6)) MB ÷ \(format(bestProbe / 1e9, 2)) GB/s")
            let pre = try bench.prefill(tokens: 128)
            report.add("\(name): prefill 128 tokens", "\(format(pre.tokensPerSecond)) tok/s",
                       "\(format(pre.tokensPerSecond / baseline.prefill, 2))× F32")
            let c = model.config
            let distinct = (0..<8).map { SyntheticModel.adapter(name: "qv8-\($0)", config: c, kinds: [.q, .v], rank: 8, seed: UInt64(10 + $0)) }
            // The batch's three mixes: 8 distinct adapters, one adapter on all 8 rows, none.
            let distinctMix = distinct.map { [AdapterUse($0)] }
            let oneMix = Array(repeating: [AdapterUse(distinct[0])], count: 8), noneMix = Array(repeating: [AdapterUse](), count: 8)
            let one8 = try bench.decodeTokensPerSecond(mixes: oneMix, steps: steps)
            let many8 = try bench.decodeTokensPerSecond(mixes: distinctMix, steps: steps)
            report.add("\(name): decode, batch 8, 8 distinct q,v r=8 adapters", "\(format(many8)) tok/s",
                       "\(format(many8 / single, 2))× its single stream; \(format(many8 / one8, 3)) of one adapter (\(format(one8)) tok/s); \(format(many8 / baseline.batch8Distinct, 2))× F32")
            // The same batch with no adapter: what the base step alone does
            // against the single stream, and what the adapters' low-rank
            // terms (8 distinct adapters' A and Bᵀ read every step) take of
            // it, the two decoded step by step in turn.
            let base8 = try bench.decodeTokensPerSecond(mixes: noneMix, steps: steps)
            let lowRank = try bench.interleavedDecodeRatio(first: noneMix, second: distinctMix, steps: steps)
            report.add("\(name): decode, batch 8, no adapter", "\(format(base8)) tok/s",
                       "\(format(base8 / single, 2))× its single stream; 8 distinct adapters ÷ no adapter, steps interleaved: \(format(lowRank.median, 3)) (median of step pairs), \(format(lowRank.total, 3)) over their summed times")
            // The same ratio with the two decoded step by step in turn, so a
            // change of load between the timed runs above cannot move it.
            let interleaved = try bench.interleavedDecodeRatio(first: [[]], second: distinctMix, steps: steps)
            report.add("\(name): batch 8 × 8 distinct ÷ 1 stream, steps interleaved", "\(format(interleaved.median, 2))×",
                       "median of step pairs (tok/s ratio); \(format(interleaved.total, 2))× over their summed times")
            // The batch's bound is arithmetic, not bandwidth: a step of 8
            // rows multiplies every weight 8 times while streaming it once.
            // The rate its projections ran at over the whole step, and the
            // rate 4× the single stream would take of them alone (before
            // attention, LoRA, norms and sampling), each against sgemm's.
            let flops = bench.decodeProjectionFlopsPerRow
            let rate = many8 * flops / 1e9, needed = 4 * single * flops / 1e9
            report.add("\(name): batch 8 × 8 distinct, projection FLOP rate over the step", "\(format(rate)) GFLOP/s",
                       "\(format(rate / baseline.sgemmPeak, 2)) of sgemm peak, \(format(rate / baseline.sgemmEightRows, 2))× sgemm's at 8 rows (F32 in cache); 4× its single stream needs \(format(needed)) GFLOP/s on the projections alone = \(format(needed / baseline.sgemmPeak, 2)) of sgemm peak, \(format(needed / baseline.sgemmEightRows, 2))× sgemm's at 8 rows")
        }
    }
}
