import Dispatch
import Kernels
import LoRA

/// A timing harness for decode speed (not a test: the numbers depend on the
/// machine). `lorad bench` and ad-hoc measurements call it.
public enum DecodeBenchmark {
    public struct Result: Sendable, CustomStringConvertible {
        /// Sequences decoded together (rows per forward step).
        public let batch: Int
        public let steps: Int
        public let seconds: Double
        /// Bytes of weights one forward step streams.
        public let bytesPerStep: Int
        /// Generated tokens per second over all sequences.
        public var tokensPerSecond: Double { Double(batch * steps) / seconds }
        /// Weight bytes streamed per second (GB/s): comparable to DRAM bandwidth.
        public var effectiveBandwidth: Double { Double(bytesPerStep) * Double(steps) / seconds / 1e9 }
        public var description: String {
            let tps = (tokensPerSecond * 10).rounded() / 10, gbs = (effectiveBandwidth * 100).rounded() / 100
            return "batch \(batch): \(steps) steps in \((seconds * 1000).rounded()) ms, \(tps) tok/s, \(gbs) GB/s of weights"
        }
    }

    /// Prefills `promptLength` tokens into `batch` sequences, then times
    /// `steps` decode steps (each one row per sequence, logits for every row,
    /// greedy next token) after `warmup` untimed steps.
    public static func decode(model: LlamaModel, batch: Int = 1, promptLength: Int = 16, steps: Int = 64,
                              warmup: Int = 4, lora: [AdapterUse] = []) throws -> Result {
        let ws = Workspace()
        let vocab = model.config.vocabSize
        let sequences = (0..<batch).map { _ in model.makeSequence(capacity: promptLength + warmup + steps + 1) }
        for (s, seq) in sequences.enumerated() {
            let rows = (0..<promptLength).map {
                ForwardRow(sequence: seq, token: (s * 31 + $0 * 7) % vocab, position: $0, needsLogits: $0 == promptLength - 1)
            }
            _ = try model.forward(rows, lora: LoRABatchPlan(rows: rows.map { _ in lora }), workspace: ws)
        }
        let plan = LoRABatchPlan(rows: sequences.map { _ in lora })
        var tokens = [Int](repeating: 1, count: batch)
        func step() throws {
            let rows = sequences.enumerated().map { ForwardRow(sequence: $1, token: tokens[$0], position: $1.length) }
            let logits = try model.forward(rows, lora: plan, workspace: ws)
            logits.values.withUnsafeBufferPointer { v in
                for i in 0..<batch { tokens[i] = VectorMath.argmax(v.baseAddress! + i * vocab, count: vocab) }
            }
        }
        for _ in 0..<warmup { try step() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { try step() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Result(batch: batch, steps: steps, seconds: seconds, bytesPerStep: model.weights.bytesReadPerToken)
    }

    /// Times prefilling one `length`-token prompt in one chunk (logits for the
    /// last row only), best of `repeats`; returns prompt tokens per second.
    public static func prefill(model: LlamaModel, length: Int = 128, repeats: Int = 3,
                               lora: [AdapterUse] = []) throws -> Double {
        let ws = Workspace()
        let vocab = model.config.vocabSize
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let seq = model.makeSequence(capacity: length)
            let rows = (0..<length).map {
                ForwardRow(sequence: seq, token: ($0 * 7 + 3) % vocab, position: $0, needsLogits: $0 == length - 1)
            }
            let plan = LoRABatchPlan(rows: rows.map { _ in lora })
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.forward(rows, lora: plan, workspace: ws)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Double(length) / best
    }
}
