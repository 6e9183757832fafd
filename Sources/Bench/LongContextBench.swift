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
enum LongContextBench {
    static let position = 1024

    /// - models: the same synthetic model resident in each weight format to time, labelled.
    static func run(models: [(label: String, model: LlamaModel)], steps: Int, bandwidth: Double,
                    report: inout BenchReport) throws {
        for (label, model) in models {
            let c = model.config
            let bench = ModelBench(model: model)
            let distinct = (0..<8).map {
                [AdapterUse(SyntheticModel.adapter(name: "qv8-\($0)", config: c, kinds: [.q, .v], rank: 8,
                                                   seed: UInt64(10 + $0)))]
            }
            let weightBytes = Double(model.weights.bytesReadPerToken)
            for kv in WeightFormat.allCases {
                let short = try bench.decodeTokensPerSecond(mixes: distinct, steps: steps, kvFormat: kv)
                let long = try bench.decodeTokensPerSecond(mixes: distinct, steps: steps, promptLength: position,
                                                           kvFormat: kv)
                // Bytes one step reads at `position`: the weights once, and
                // every sequence's cache (its positions × bytes per position).
                let cacheBytes = Double(distinct.count * (position + steps / 2)
                                        * SequenceState.bytesPerPosition(config: c, format: kv))
                let stepSeconds = Double(distinct.count) / long
                let streamed = (weightBytes + cacheBytes) / stepSeconds
                report.add("\(label) weights, \(kv.rawValue.uppercased()) KV: decode, batch 8, 8 distinct adapters, from position \(position)",
                           "\(format(long)) tok/s",
                           "\(format(long / short, 3)) of the same from position 8 (\(format(short)) tok/s); a step reads \(format(weightBytes / 1e6)) MB of weights + \(format(cacheBytes / 1e6)) MB of KV = \(format(streamed / 1e9, 1)) GB/s, \(format(streamed / bandwidth, 2)) of the read bandwidth")
            }
        }
    }
}
