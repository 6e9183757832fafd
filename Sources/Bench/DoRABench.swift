import CLI
import Daemon
import Foundation
import Llama
import LoRA

/// DoRA against plain LoRA of the same shape, in one run: decode with a
/// q,v r=8 adapter (one stream, and a batch of 8 sequences on 8 distinct
/// adapters) and the cold load of an all-linear r=16 adapter from PEFT's
/// files, with its factors computed and with them read back as stored. The two sides are timed alternately, best of each, so a load
/// change on the shared machine hits both. The factor computation alone is
/// timed too, against the sgemm peak of the same run: it is the part of a
/// DoRA cold load that plain LoRA does not have.
enum DoRABench {
    static func run(model: LlamaModel, steps: Int, sgemmPeak: Double, report: inout BenchReport) throws {
        let c = model.config
        let bench = ModelBench(model: model)

        func alternating(_ plain: () throws -> Double, _ dora: () throws -> Double) rethrows -> (Double, Double) {
            var best = (0.0, 0.0)
            for _ in 0..<3 {
                best.0 = max(best.0, try plain())
                best.1 = max(best.1, try dora())
            }
            return best
        }

        let plain = SyntheticModel.adapter(name: "qv8", config: c, kinds: [.q, .v], rank: 8, seed: 1)
        let dora = try SyntheticModel.doraAdapter(name: "dora-qv8", config: c, kinds: [.q, .v], rank: 8, seed: 1, base: model.weights)
        let single = try alternating({ try bench.decodeTokensPerSecond(mixes: [[AdapterUse(plain)]], steps: steps, repeats: 1) },
                                     { try bench.decodeTokensPerSecond(mixes: [[AdapterUse(dora)]], steps: steps, repeats: 1) })
        report.add("decode, 1 stream, LoRA q,v r=8 / DoRA q,v r=8", "\(format(single.0)) / \(format(single.1)) tok/s",
                   "DoRA ÷ LoRA = \(format(single.1 / single.0, 3)) (target ≥ 0.95)")
        let singleSteps = try bench.interleavedDecodeRatio(first: [[AdapterUse(plain)]], second: [[AdapterUse(dora)]], steps: steps)
        report.add("decode, 1 stream, q,v r=8, steps interleaved", "DoRA ÷ LoRA = \(format(singleSteps.median, 3)) (median of \(3 * steps) step pairs)",
                   "\(format(singleSteps.total, 3)) of summed step times (target ≥ 0.95)")

        let plains = (0..<8).map { SyntheticModel.adapter(name: "qv8-\($0)", config: c, kinds: [.q, .v], rank: 8, seed: UInt64(10 + $0)) }
        let doras = try (0..<8).map {
            try SyntheticModel.doraAdapter(name: "dora-qv8-\($0)", config: c, kinds: [.q, .v], rank: 8, seed: UInt64(10 + $0), base: model.weights)
        }
        let batch = try alternating({ try bench.decodeTokensPerSecond(mixes: plains.map { [AdapterUse($0)] }, steps: steps, repeats: 1) },
                                    { try bench.decodeTokensPerSecond(mixes: doras.map { [AdapterUse($0)] }, steps: steps, repeats: 1) })
        report.add("decode, batch 8, 8 distinct LoRA / DoRA q,v r=8 adapters", "\(format(batch.0)) / \(format(batch.1)) tok/s",
                   "DoRA ÷ LoRA = \(format(batch.1 / batch.0, 3)) (target ≥ 0.95)")
        let batchSteps = try bench.interleavedDecodeRatio(first: plains.map { [AdapterUse($0)] }, second: doras.map { [AdapterUse($0)] }, steps: steps)
        report.add("decode, batch 8 × 8 distinct q,v r=8, steps interleaved", "DoRA ÷ LoRA = \(format(batchSteps.median, 3)) (median of \(3 * steps) step pairs)",
                   "\(format(batchSteps.total, 3)) of summed step times (target ≥ 0.95)")

        // Cold load: PEFT's bytes → validated resident adapter, best of 5
        // each, alternating: plain LoRA; DoRA computing its factors against
        // the resident weights (an upload's first validation); DoRA reloaded
        // as the daemon reloads a registered adapter that is not resident —
        // its stored factors decoded and handed to the same loader entry the
        // registry source's payload goes through.
        for (kinds, rank, label) in [([LinearKind.q, .v], 8, "q,v r=8"), (LinearKind.allCases, 16, "all-linear r=16")] {
            let plainFiles = try SyntheticModel.peftFiles(config: c, kinds: kinds, rank: rank, seed: 300)
            let doraFiles = try SyntheticModel.peftFiles(config: c, kinds: kinds, rank: rank, seed: 300, dora: true)
            let stored = DoRAFactorTable(try AdapterLoader.load(name: "stored", configJSON: doraFiles.config,
                                                                safetensors: doraFiles.weights, base: model.weights).adapter).encoded
            var best = [Double](repeating: .infinity, count: 3), cpu = best
            var reused = 0
            for _ in 0..<5 {
                for side in 0..<3 {
                    let start = ContinuousClock.now, startCPU = processCPUSeconds()
                    switch side {
                    case 0: _ = try AdapterLoader.load(name: "cold", configJSON: plainFiles.config, safetensors: plainFiles.weights, base: model.weights)
                    case 1: _ = try AdapterLoader.load(name: "cold", configJSON: doraFiles.config, safetensors: doraFiles.weights, base: model.weights)
                    default:
                        let table = try DoRAFactorTable(modules: stored.modules, factors: stored.factors)
                        reused = try AdapterLoader.load(name: "cold", configJSON: doraFiles.config, safetensors: doraFiles.weights,
                                                        base: model.weights, storedFactors: table).factorsReused
                    }
                    best[side] = min(best[side], (ContinuousClock.now - start).seconds)
                    cpu[side] = min(cpu[side], processCPUSeconds() - startCPU)
                }
            }
            let target = rank == 16 ? " (target ≤ 3)" : ""
            report.add("cold load \(label), LoRA / DoRA computing its factors", "\(format(best[0] * 1000, 2)) / \(format(best[1] * 1000, 2)) ms",
                       "DoRA ÷ LoRA = \(format(best[1] / best[0], 2)) (an upload's first validation)")
            report.add("cold load \(label), LoRA / DoRA with stored factors", "\(format(best[0] * 1000, 2)) / \(format(best[2] * 1000, 2)) ms",
                       "DoRA ÷ LoRA = \(format(best[2] / best[0], 2))\(target) (the daemon's reload of a registered adapter; \(reused) modules' factors reused)")
            // The work, whatever the load: with one thread this is the CPU time of the
            // load itself; with more, idle compute workers' spinning counts too.
            report.add("cold load \(label), CPU time, LoRA / DoRA computing / DoRA stored",
                       "\(format(cpu[0] * 1000, 2)) / \(format(cpu[1] * 1000, 2)) / \(format(cpu[2] * 1000, 2)) ms",
                       "DoRA ÷ LoRA = \(format(cpu[1] / cpu[0], 2)) / \(format(cpu[2] / cpu[0], 2)) (process CPU time; exact work only with --threads 1)")
            if rank == 16 { try factorsAlone(files: doraFiles, model: model, label: label, plainLoad: best[0], sgemmPeak: sgemmPeak, report: &report) }
        }

        // The key stored factors are found under: a digest of every linear's
        // values, taken once per daemon process in the background at start-up.
        var digest = Double.infinity
        let linearBytes = model.weights.linearShapes.values.reduce(0) { $0 + $1.outFeatures * $1.inFeatures * 4 }
        for _ in 0..<3 {
            let start = ContinuousClock.now
            _ = try AdapterCompatibility.valuesDigest(of: model.weights)
            digest = min(digest, (ContinuousClock.now - start).seconds)
        }
        report.add("DoRA factors key: digest of every linear's values", "\(format(digest * 1000, 2)) ms",
                   "\(format(Double(linearBytes) / digest / 1e9, 2)) GB/s of F32 values, one thread; once per process, at start-up in the background")

        // A new weight (NAME:0.5) recomputes every factor of the adapter once.
        var reweight = Double.infinity
        for i in 0..<5 {
            let start = ContinuousClock.now
            _ = try dora.weighted(0.5 + Float(i) / 64)
            reweight = min(reweight, (ContinuousClock.now - start).seconds)
        }
        report.add("DoRA q,v r=8 at a new weight (NAME:w, first use)", "\(format(reweight * 1000, 2)) ms", "factors recomputed, then cached per weight")
    }

    /// User + system CPU seconds of the whole process so far.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The factors of an already loaded DoRA adapter recomputed against the
    /// resident weights, best of 5: out·in·r multiply-adds per module, the
    /// work a plain load does not do. Reported as a rate beside the run's
    /// sgemm peak, and as the cold-load ratio it alone would allow.
    static func factorsAlone(files: (config: Data, weights: Data), model: LlamaModel, label: String,
                             plainLoad: Double, sgemmPeak: Double, report: inout BenchReport) throws {
        let loaded = try AdapterLoader.load(name: "factors", configJSON: files.config, safetensors: files.weights, base: model.weights)
        let modules = loaded.adapter.modules.sorted { $0.key < $1.key }
        let multiplyAdds = modules.reduce(0) { $0 + $1.value.outFeatures * $1.value.inFeatures * $1.value.rank }
        var best = Double.infinity, cpu = Double.infinity
        for _ in 0..<5 {
            let start = ContinuousClock.now, startCPU = processCPUSeconds()
            for (id, module) in modules {
                guard let m = module.magnitude else { continue }
                _ = try DoRAFactors.compute(module: module, magnitude: m, scale: module.scale, id: id, base: model.weights)
            }
            best = min(best, (ContinuousClock.now - start).seconds)
            cpu = min(cpu, processCPUSeconds() - startCPU)
        }
        let rate = Double(multiplyAdds) / best / 1e9
        report.add("DoRA factors alone, \(label)", "\(format(best * 1000, 2)) ms = \(format(rate, 1)) G multiply-adds/s",
                   "\(format(2 * rate / sgemmPeak, 2)) of the sgemm peak's rate; (LoRA + this) ÷ LoRA = \(format((plainLoad + best) / plainLoad, 2)); "
                   + "CPU time \(format(cpu * 1000, 2)) ms = \(format(Double(multiplyAdds) / cpu / 1e9, 1)) G multiply-adds per CPU second")
    }
}
