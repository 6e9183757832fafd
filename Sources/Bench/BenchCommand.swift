import CLI
import Foundation
import Kernels
import Llama
import LoRA
import Serving
import Tokenization

/// `lorad-bench model`: synthesizes a model of a real checkpoint's shape
/// (SmolLM-135M, Qwen2.5-0.5B or Qwen3-0.6B: `--family`), loads it through
/// the normal path and reports, in one run, the machine's ceilings and the
/// engine's speed as ratios against them (BENCHMARKS.md records the output).
enum BenchCommand {
    static let usage = """
    usage: lorad-bench model [--family llama|qwen2|qwen3] [--threads N] [--steps N] [--keep DIR] [--kernels] [--dora]
                             [--long-context] [--sixteen]
      --family F    the synthesized model: llama = SmolLM-135M (default), qwen2 = Qwen2.5-0.5B
                    (q/k/v biases), qwen3 = Qwen3-0.6B (q/k norms, head_dim 128); a family other
                    than llama is also timed against the llama model, F32 and BF16, alternating
      --threads N   compute threads: OpenBLAS's and lorad's own (default: 2)
      --steps N     decode steps per timing (default: 32)
      --keep DIR    write the synthetic model to DIR and keep it (default: a temp dir, removed)
      --kernels     machine probes and kernel rows only (no model)
      --dora        machine probes, then the model's DoRA-vs-LoRA rows only
      --long-context  machine probes, then the long-context rows only (attention alone, then
                    batch 8 from position 1024 against position 8, F32 and BF16 weights)
      --sixteen     machine probes, the F32 model's decode, prefill and batch 8 × 8 adapters, then
                    the same rows with the weights resident in BF16 and in F16
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["threads", "steps", "keep", "family"], booleans: ["kernels", "dora", "long-context", "sixteen"])
        let threads = try a.int("threads", default: 2, range: 1...256)
        let steps = try a.int("steps", default: 32, range: 4...10_000)
        let familyName = a.value("family") ?? "llama"
        guard let family = SyntheticModel.Family(rawValue: familyName) else {
            throw UsageError.badValue(option: "family", value: familyName, expected: "llama, qwen2 or qwen3")
        }
        Compute.setThreads(threads)
        var report = BenchReport()

        // Machine ceilings, measured now, under the same load as the rest.
        report.add("kernel path", KernelPath.summary)
        let bandwidth = MachineProbe.readBandwidth(pool: .shared, pages: .huge)
        report.add("read bandwidth (\(threads) threads)", "\(format(bandwidth / 1e9, 2)) GB/s",
                   "the bound: 1 GiB on 2 MiB pages like the weights, summed by the kernels' threads and codegen")
        let small = MachineProbe.readBandwidth(pool: .shared, pages: .small)
        report.add("read bandwidth, 4 KiB pages", "\(format(small / 1e9, 2)) GB/s", "\(format(small / bandwidth, 2)) of the bound (no MADV_HUGEPAGE)")
        let dispatch = MachineProbe.dispatchReadBandwidth(threads: threads)
        report.add("read bandwidth, previous probe", "\(format(dispatch / 1e9, 2)) GB/s", "\(format(dispatch / bandwidth, 2)) of the bound (Dispatch threads, SSE2 codegen)")
        let peak = MachineProbe.sgemmGFLOPS(m: 2048, n: 2048, k: 2048)
        report.add("sgemm peak 2048³", "\(format(peak)) GFLOP/s")
        let peak128 = MachineProbe.sgemmGFLOPS(m: 128, n: 1536, k: 576)
        report.add("sgemm 128×1536×576", "\(format(peak128)) GFLOP/s", "the prefill shape")
        // The batch-8 decode step's shape, F32 weights small enough to stay
        // in cache: how fast the machine's BLAS multiplies 8 rows when
        // memory is not what limits it.
        let peak8 = MachineProbe.sgemmGFLOPS(m: 8, n: 1536, k: 576, repeats: 200)
        report.add("sgemm 8×1536×576", "\(format(peak8)) GFLOP/s",
                   "the batch-8 decode shape, its 3.5 MB of F32 weights in cache: \(format(peak8 / peak, 2)) of the peak")
        if !a.flag("dora") && !a.flag("long-context") && !a.flag("sixteen") {
            let kernels = KernelBench(pool: .shared)
            kernels.decodeRows(report: &report)
            kernels.prefillRows(report: &report)
        }
        if a.flag("kernels") {
            print(report.markdown)
            return
        }

        // The model, through the normal loading path.
        let folder: URL
        if let keep = a.value("keep") { folder = URL(fileURLWithPath: keep) } else {
            folder = BenchTemporaries.path("lorad-bench")
        }
        defer { if a.value("keep") == nil { BenchTemporaries.remove(folder) } }
        var start = ContinuousClock.now
        try SyntheticModel.write(to: folder, family: family, tokenizerFrom: ModelLocator.defaultModel())
        report.add("synthesize + write model", "\(format((ContinuousClock.now - start).seconds, 2)) s")
        start = ContinuousClock.now
        let model = try LlamaModel.load(folder: folder)
        report.add("load model", "\(format((ContinuousClock.now - start).seconds, 2)) s",
                   "\(family.label) shape, \(model.config.family), F32")
        let bytes = model.weights.bytesReadPerToken
        let bound = bandwidth / Double(bytes)
        report.add("weights read per token", "\(format(Double(bytes) / 1e6)) MB", "bound = bandwidth ÷ this = \(format(bound)) tok/s")

        if a.flag("dora") {
            try DoRABench.run(model: model, steps: steps, sgemmPeak: peak, report: &report)
            print(report.markdown)
            return
        }
        if a.flag("long-context") {
            try LongContextBench.run(model: model, folder: folder, steps: steps, bandwidth: bandwidth, report: &report)
            print(report.markdown)
            return
        }

        let bench = ModelBench(model: model)
        let base = try bench.decodeTokensPerSecond(mixes: [[]], steps: steps)
        report.add("decode, 1 stream, base", "\(format(base)) tok/s",
                   "\(format(base / bound, 2)) of bandwidth bound = \(format(base * Double(bytes) / 1e9, 2)) GB/s of weights streamed")
        if family != .llama {
            try FamilyComparison.run(model: model, folder: folder, label: family.label, steps: steps, report: &report)
        }

        let pre = try bench.prefill(tokens: 128)
        report.add("prefill 128 tokens", "\(format(pre.tokensPerSecond)) tok/s", "\(format(pre.gflops)) GFLOP/s = \(format(pre.gflops / peak, 2)) of sgemm peak, \(format(pre.gflops / peak128, 2)) of sgemm at the prefill shape")

        let c = model.config
        if a.flag("sixteen") {
            let distinct = (0..<8).map { SyntheticModel.adapter(name: "qv8-\($0)", config: c, kinds: [.q, .v], rank: 8, seed: UInt64(10 + $0)) }
            let many8 = try bench.decodeTokensPerSecond(mixes: distinct.map { [AdapterUse($0)] }, steps: steps)
            report.add("decode, batch 8, 8 distinct q,v r=8 adapters", "\(format(many8)) tok/s", "\(format(many8 / base, 2))× single stream")
            try SixteenBitBench.run(folder: folder, steps: steps,
                                    baseline: .init(bandwidth: bandwidth, sgemmPeak: peak, sgemmEightRows: peak8, residentBytes: model.weights.residentBytes,
                                                    decode: base, prefill: pre.tokensPerSecond, batch8Distinct: many8),
                                    report: &report)
            print(report.markdown)
            return
        }

        // LoRA overhead per adapter shape (synthetic, non-zero B).
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

        try DoRABench.run(model: model, steps: steps, sgemmPeak: peak, report: &report)

        // Per-sequence engine work each step: picking the next token.
        let stepMicros = 1e6 / base
        for (label, parameters) in [("greedy", SamplingParameters.greedy),
                                    ("temperature 0.8", SamplingParameters(temperature: 0.8, seed: 1)),
                                    ("temperature 0.8, top-k 40", SamplingParameters(temperature: 0.8, topK: 40, seed: 1)),
                                    ("temperature 0.8, top-p 0.95", SamplingParameters(temperature: 0.8, topP: 0.95, seed: 1))] {
            let micros = bench.samplingMicroseconds(parameters)
            report.add("sample one token, \(label)", "\(format(micros)) µs", "\(format(micros / stepMicros * 100, 2)) % of a 1-stream decode step")
        }

        // The same model resident in BF16 and in F16.
        try SixteenBitBench.run(folder: folder, steps: steps,
                                baseline: .init(bandwidth: bandwidth, sgemmPeak: peak, sgemmEightRows: peak8, residentBytes: model.weights.residentBytes,
                                                decode: base, prefill: pre.tokensPerSecond, batch8Distinct: many8),
                                report: &report)

        // Long contexts, per weight and KV cache format: attention over the
        // cache grows with the position while the weight traffic stays the same.
        try LongContextBench.run(model: model, folder: folder, steps: steps, bandwidth: bandwidth, report: &report)

        try engineSections(model: model, folder: folder, base: base, bound: bound, steps: steps, report: &report)
        print(report.markdown)
    }

    /// Measurements through the engine: cold load and cache hits,
    /// aggregate decode at several concurrencies (one adapter vs distinct
    /// ones), time to first token under load, live merge vs base.
    static func engineSections(model: LlamaModel, folder: URL, base: Double, bound: Double, steps: Int,
                               report: inout BenchReport) throws {
        let c = model.config
        var payloads: [String: AdapterPayload] = [:]
        for i in 0..<16 {
            let files = try SyntheticModel.peftFiles(config: c, kinds: [.q, .v], rank: 8, seed: UInt64(100 + i))
            payloads["qv8-\(i)"] = AdapterPayload(name: "qv8-\(i)", configJSON: files.config, weights: files.weights)
        }
        let all = try SyntheticModel.peftFiles(config: c, kinds: LinearKind.allCases, rank: 16, seed: 200)
        payloads["all16"] = AdapterPayload(name: "all16", configJSON: all.config, weights: all.weights)

        // Cold load: bytes → validated F32 adapter, best of 5.
        for name in ["qv8-0", "all16"] {
            guard let p = payloads[name] else { continue }
            var best = Double.infinity
            for _ in 0..<5 {
                let start = ContinuousClock.now
                _ = try AdapterLoader.load(name: name, configJSON: p.configJSON, safetensors: p.weights, base: model.weights)
                best = min(best, (ContinuousClock.now - start).seconds)
            }
            report.add("cold load \(name) (\(p.weights.count / 1024) KiB)", "\(format(best * 1000, 2)) ms", "bytes → validated resident F32")
        }

        let cache = AdapterCache(source: EngineBench.MemorySource(payloads: payloads), budgetBytes: 1 << 30,
                                 loader: AdapterCache.validatingLoader(base: model.weights))
        let spec = try AdapterSpec(parsing: "qv8-0")
        _ = try cache.lease(spec)   // resident
        let hits = 10_000
        let start = ContinuousClock.now
        for _ in 0..<hits { _ = try cache.lease(spec) }
        report.add("cache hit (lease + release)", "\(format((ContinuousClock.now - start).seconds / Double(hits) * 1e6, 2)) µs", "per request")

        var configuration = EngineConfiguration()
        configuration.maxBatch = 16
        let engine = Engine(model: model, tokenizer: try Tokenizer(folder: folder), adapters: cache, configuration: configuration)
        defer { engine.shutdown() }
        let bench = EngineBench(engine: engine)
        let tokens = max(16, steps)
        let baseRate = try bench.decodeRate(spec: .base, tokens: tokens)
        report.add("engine, 1 stream, base, decode after first token", "\(format(baseRate)) tok/s", "\(format(baseRate / bound, 2)) of bandwidth bound, \(format(baseRate / base, 3)) of model-level")
        let single = try bench.aggregateTokensPerSecond(specs: [spec], tokens: tokens)
        report.add("engine, 1 stream, q,v r=8 (wall, incl. prefill)", "\(format(single)) tok/s", "\(format(single / bound, 2)) of bandwidth bound")
        for n in [2, 4, 8, 16] {
            let one = try bench.aggregateTokensPerSecond(specs: Array(repeating: spec, count: n), tokens: tokens)
            let distinct = try bench.aggregateTokensPerSecond(specs: try (0..<n).map { try AdapterSpec(parsing: "qv8-\($0)") }, tokens: tokens)
            report.add("engine, \(n) streams", "one adapter \(format(one)) / \(n) distinct \(format(distinct)) tok/s",
                       "distinct ÷ one = \(format(distinct / one, 3)); \(format(distinct / single, 2))× single stream")
        }
        let ttftAlone = try bench.timeToFirstToken(promptLength: 128, background: 0)
        let ttftLoaded = try bench.timeToFirstToken(promptLength: 128, background: 8)
        report.add("time to first token, 128-token prompt", "\(format(ttftAlone * 1000)) ms alone, \(format(ttftLoaded * 1000)) ms with 8 decoding")

        // Live merge: the merged adapter's requests should run at base speed.
        let baseEngine = try bench.aggregateTokensPerSecond(specs: [.base], tokens: tokens)
        try engine.liveMerge(spec)
        let merged = try bench.aggregateTokensPerSecond(specs: [spec], tokens: tokens)
        let other = try bench.aggregateTokensPerSecond(specs: [try AdapterSpec(parsing: "qv8-1")], tokens: tokens)
        try engine.liveUnmerge()
        report.add("engine, 1 stream, base", "\(format(baseEngine)) tok/s")
        report.add("live-merged q,v r=8, its requests", "\(format(merged)) tok/s", "\(format(merged / baseEngine, 3)) of base")
        report.add("live-merged, another q,v r=8 adapter", "\(format(other)) tok/s", "\(format(other / single, 3)) of an unmerged r=8 adapter (pays two low-rank terms)")
    }
}
