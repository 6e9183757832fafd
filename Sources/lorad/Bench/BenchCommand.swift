import Foundation
import Kernels
import Llama
import LoRA

/// `lorad bench`: synthesizes a SmolLM-135M-shaped F32 model, loads it through
/// the normal path and reports, in one run, the machine's ceilings and the
/// engine's speed as ratios against them (BENCHMARKS.md records the output).
enum BenchCommand {
    static let usage = """
    usage: lorad bench [--threads N] [--steps N] [--keep DIR]
      --threads N   OpenBLAS threads and bandwidth-probe workers (default: 2)
      --steps N     decode steps per timing (default: 32)
      --keep DIR    write the synthetic model to DIR and keep it (default: a temp dir, removed)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["threads", "steps", "keep"])
        let threads = try a.int("threads", default: 2, range: 1...256)
        let steps = try a.int("steps", default: 32, range: 4...10_000)
        BLAS.setThreadCount(threads)
        var report = BenchReport()

        // Machine ceilings, measured now, under the same load as the rest.
        let bandwidth = MachineProbe.readBandwidth(threads: threads)
        report.add("read bandwidth (\(threads) threads)", "\(format(bandwidth / 1e9, 2)) GB/s", "STREAM-style sum of 1 GiB")
        let peak = MachineProbe.sgemmGFLOPS(m: 2048, n: 2048, k: 2048)
        report.add("sgemm peak 2048³", "\(format(peak)) GFLOP/s")
        let peak128 = MachineProbe.sgemmGFLOPS(m: 128, n: 1536, k: 576)
        report.add("sgemm 128×1536×576", "\(format(peak128)) GFLOP/s", "the prefill shape")

        // The model, through the normal loading path.
        let folder: URL
        if let keep = a.value("keep") { folder = URL(fileURLWithPath: keep) } else {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("lorad-bench-\(UUID().uuidString)")
        }
        defer { if a.value("keep") == nil { try? FileManager.default.removeItem(at: folder) } }
        var start = ContinuousClock.now
        try SyntheticModel.write(to: folder)
        report.add("synthesize + write model", "\(format((ContinuousClock.now - start).seconds, 2)) s")
        start = ContinuousClock.now
        let model = try LlamaModel.load(folder: folder)
        report.add("load model", "\(format((ContinuousClock.now - start).seconds, 2)) s")
        let bytes = model.weights.bytesReadPerToken
        let bound = bandwidth / Double(bytes)
        report.add("weights read per token", "\(format(Double(bytes) / 1e6)) MB", "bound = bandwidth ÷ this = \(format(bound)) tok/s")

        let bench = ModelBench(model: model)
        let base = try bench.decodeTokensPerSecond(mixes: [[]], steps: steps)
        report.add("decode, 1 stream, base", "\(format(base)) tok/s", "\(format(base / bound, 2)) of bandwidth bound")

        let pre = try bench.prefill(tokens: 128)
        report.add("prefill 128 tokens", "\(format(pre.tokensPerSecond)) tok/s", "\(format(pre.gflops)) GFLOP/s = \(format(pre.gflops / peak, 2)) of sgemm peak, \(format(pre.gflops / peak128, 2)) of sgemm at the prefill shape")

        // LoRA overhead per adapter shape (synthetic, non-zero B).
        let c = model.config
        let qv8 = SyntheticModel.adapter(name: "qv8", config: c, kinds: [.q, .v], rank: 8, seed: 1)
        let all16 = SyntheticModel.adapter(name: "all16", config: c, kinds: LinearKind.allCases, rank: 16, seed: 2)
        let withQV = try bench.decodeTokensPerSecond(mixes: [[AdapterUse(qv8)]], steps: steps)
        report.add("decode, 1 stream, q,v r=8", "\(format(withQV)) tok/s", "\(format(withQV / base, 3)) of base")
        let withAll = try bench.decodeTokensPerSecond(mixes: [[AdapterUse(all16)]], steps: steps)
        report.add("decode, 1 stream, all-linear r=16", "\(format(withAll)) tok/s", "\(format(withAll / base, 3)) of base")

        // Batched decode: one adapter for all rows vs a distinct adapter per row.
        let distinct = (0..<8).map { SyntheticModel.adapter(name: "qv8-\($0)", config: c, kinds: [.q, .v], rank: 8, seed: UInt64(10 + $0)) }
        let base8 = try bench.decodeTokensPerSecond(mixes: Array(repeating: [], count: 8), steps: steps)
        report.add("decode, batch 8, base", "\(format(base8)) tok/s", "\(format(base8 / base, 2))× single stream")
        let one8 = try bench.decodeTokensPerSecond(mixes: Array(repeating: [AdapterUse(distinct[0])], count: 8), steps: steps)
        report.add("decode, batch 8, one q,v r=8 adapter", "\(format(one8)) tok/s", "\(format(one8 / base8, 3)) of batch-8 base")
        let many8 = try bench.decodeTokensPerSecond(mixes: distinct.map { [AdapterUse($0)] }, steps: steps)
        report.add("decode, batch 8, 8 distinct q,v r=8 adapters", "\(format(many8)) tok/s", "\(format(many8 / one8, 3)) of one adapter")

        print(report.markdown)
    }
}
