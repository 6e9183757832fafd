import CLI
import Foundation
import Kernels
import Llama

/// Whether decode streams another family's weights as fast as the Llama
/// bench model's: the effective weight-streaming rate (bytes of weights read
/// per decode step × steps per second) of both, for F32 and BF16 resident
/// weights, measured in one process with both models resident and their
/// timings alternating (llama, other, llama, other, …) so machine load hits
/// both alike. The ratio is what to compare; the absolute rates move with
/// the load.
enum FamilyComparison {
    static let rounds = 3

    /// - model: the family's model loaded from `folder` (F32 resident).
    static func run(model: LlamaModel, folder: URL, label: String, steps: Int, report: inout BenchReport) throws {
        let llamaFolder = BenchTemporaries.path("lorad-bench-llama")
        defer { BenchTemporaries.remove(llamaFolder) }
        try SyntheticModel.write(to: llamaFolder, family: .llama, tokenizerFrom: nil)
        for resident in [WeightFormat.f32, .bf16] {
            // Loaded weights are copies: one format's pair is freed before the next loads.
            let other = resident == model.weights.format ? model : try LlamaModel.load(folder: folder, weightsFormat: resident)
            let models = [try LlamaModel.load(folder: llamaFolder, weightsFormat: resident), other]
            let benches = models.map { ModelBench(model: $0) }
            for rows in [1, 8] {
                var best = [0.0, 0.0]   // tokens/s, best of `rounds`
                for _ in 0..<rounds {
                    for i in models.indices {
                        let rate = try benches[i].decodeTokensPerSecond(mixes: Array(repeating: [], count: rows), steps: steps, repeats: 1)
                        best[i] = max(best[i], rate)
                    }
                }
                // A step of `rows` tokens reads every weight once.
                let streamed = models.indices.map { best[$0] / Double(rows) * Double(models[$0].weights.bytesReadPerToken) / 1e9 }
                report.add("\(resident.rawValue.uppercased()): weights streamed, decode \(rows == 1 ? "1 stream" : "batch \(rows)"), base, vs llama",
                           "\(label) \(format(streamed[1], 2)) GB/s (\(format(best[1])) tok/s), SmolLM-135M \(format(streamed[0], 2)) GB/s (\(format(best[0])) tok/s)",
                           "ratio \(format(streamed[1] / streamed[0], 3)); alternating, best of \(rounds) each")
            }
        }
    }
}
