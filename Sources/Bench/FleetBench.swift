import CLI
import Daemon
import Foundation
import Kernels
import Llama
import LoRA
import Registry

/// `lorad-bench fleet`: what a replica behind the endpoint picker pays for a
/// large registry and for adapters on a shared folder, in-process on
/// 127.0.0.1:0 with the synthesized 135M-shaped model.
///
/// 1. Start-up (model load + registry open, `LoradServer.load`) with N
///    registered adapters against an empty registry, alternately.
/// 2. `GET /adapters?limit=100`, the whole `GET /v1/models`, and `/metrics`
///    with N registered and R resident adapters (the picker scrapes every
///    50 ms; target ≤ 5 ms).
/// 3. The first completion for an r=8 q,v adapter that is only in
///    `adapter_dirs` (imported on first use; its registry row is written
///    behind the request, timed separately) against one that is registered
///    but not resident (cold load), each minus the same completion warm
///    (target: folder ≤ cold + 10 ms).
enum FleetBench {
    static let usage = """
    usage: lorad-bench fleet [--threads N] [--adapters N] [--resident N] [--samples N] [--rounds N]
      --threads N    OpenBLAS threads (default: 2)
      --adapters N   adapters in the registry (default: 10000)
      --resident N   of them made resident before scraping (default: 100)
      --samples N    timed requests per listing/scrape row; median and p99 reported (default: 200)
      --rounds N     start-ups of each kind, and folder/cold pairs (default: 5)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["threads", "adapters", "resident", "samples", "rounds"])
        let threads = try a.int("threads", default: 2, range: 1...256)
        let count = try a.int("adapters", default: 10_000, range: 1...1_000_000)
        let resident = try a.int("resident", default: 100, range: 0...count)
        let samples = try a.int("samples", default: 200, range: 10...100_000)
        let rounds = try a.int("rounds", default: 5, range: 1...100)
        Compute.setThreads(threads)
        var report = BenchReport()

        let dir = BenchTemporaries.path("lorad-bench-fleet")
        defer { BenchTemporaries.remove(dir) }
        let folder = dir.appendingPathComponent("smollm-135m-synthetic")
        try SyntheticModel.writeServable(to: folder)
        let modelConfig = try LlamaConfig(folder: folder)
        let adapterDir = dir.appendingPathComponent("adapters")
        try FileManager.default.createDirectory(at: adapterDir, withIntermediateDirectories: true)

        // The registry, written directly: rank-1 q_proj adapters on layer 0
        // (5 KB each), the shape of the listing and of the metrics, not of
        // the weights, is what is measured here.
        let full = dir.appendingPathComponent("full.sqlite"), empty = dir.appendingPathComponent("empty.sqlite")
        let writeStart = ContinuousClock.now
        do {
            let registry = try AdapterRegistry(path: full.path, options: .init(synchronous: .normal))
            let files = try SyntheticModel.peftFiles(config: modelConfig, kinds: [.q], rank: 1, seed: 7, layers: [0])
            let configText = String(decoding: files.config, as: UTF8.self)
            for i in 0..<count {
                try registry.insert(NewAdapter(name: name(i), configJSON: configText, ranks: [1], alpha: 2, scale: 2,
                                               targetModules: ["q_proj"]), weights: files.weights)
            }
            registry.close()
        }
        report.add("registry written directly", "\(count) adapters",
                   "\(format((ContinuousClock.now - writeStart).seconds, 2)) s, \(format(Double(fileSize(full)) / 1e6, 1)) MB")

        func configuration(_ registry: URL) -> Configuration {
            var c = Configuration()
            c.model = folder.path
            c.registry = registry.path
            c.listen = [ListenAddress(family: .ipv4, host: "127.0.0.1", port: 0)]
            c.threads = threads
            c.adapterDirs = [adapterDir.path]
            c.adapterCacheMB = 4096
            return c
        }
        let logger = Logger(level: .warning, format: .text)

        // 1. Start-up, alternately with the full and the empty registry.
        var startFull: [Double] = [], startEmpty: [Double] = []
        for _ in 0..<rounds {
            for (registry, into) in [(full, 0), (empty, 1)] {
                let server = try LoradServer(configuration: configuration(registry), logger: logger)
                _ = try server.bind()
                let start = ContinuousClock.now
                _ = try server.load()
                let seconds = (ContinuousClock.now - start).seconds
                if into == 0 { startFull.append(seconds) } else { startEmpty.append(seconds) }
                let done = DispatchSemaphore(value: 0)
                Task { await server.shutdown(); done.signal() }
                done.wait()
            }
        }
        report.add("start-up (model load + registry open) with \(count) adapters", "\(format(median(startFull) * 1000, 1)) ms",
                   "median of \(rounds); empty registry \(format(median(startEmpty) * 1000, 1)) ms (ratio \(format(median(startFull) / median(startEmpty), 3)))")

        let server = try LoradServer(configuration: configuration(full), logger: logger)
        guard let address = try server.bind().first else { throw UsageError.missing("a listen address") }
        let service = try server.load()
        defer {
            let done = DispatchSemaphore(value: 0)
            Task { await server.shutdown(); done.signal() }
            done.wait()
        }
        let client = BenchHTTPClient(port: address.port)
        func timed(_ path: String) throws -> Double {
            let start = ContinuousClock.now
            let r = try client.request("GET", path, headers: [], body: [])
            guard r.status == 200 else { throw BenchError.http(r.status, r.text) }
            return (ContinuousClock.now - start).seconds
        }
        func complete(_ model: String) throws -> Double {
            let start = ContinuousClock.now
            let r = try client.postJSON("/v1/completions", ["model": model, "prompt": "The licensee may", "max_tokens": 1, "temperature": 0])
            guard r.status == 200 else { throw BenchError.http(r.status, r.text) }
            return (ContinuousClock.now - start).seconds
        }
        func row(_ label: String, _ times: [Double], _ note: String = "") {
            report.add(label, "\(format(median(times) * 1000, 2)) ms", "median of \(times.count); p99 \(format(percentile(times, 0.99) * 1000, 2)) ms\(note)")
        }

        // 2. Listings and the scrape.
        _ = try complete(service.modelID)
        for i in 0..<resident { _ = try complete(name(i * (count / max(1, resident)))) }
        let residentNow = service.cache.residentNames.count
        row("GET /adapters?limit=100 (\(count) registered)", try (0..<samples).map { _ in try timed("/adapters?limit=100&after=\(name(count / 2))") })
        row("GET /v1/models?limit=100", try (0..<samples).map { _ in try timed("/v1/models?limit=100") })
        row("GET /v1/models, all \(count + 1)", try (0..<max(10, samples / 20)).map { _ in try timed("/v1/models") })
        let scrape = try client.request("GET", "/metrics", headers: [], body: [])
        row("GET /metrics, \(count) registered, \(residentNow) resident", try (0..<samples).map { _ in try timed("/metrics") },
            "; \(scrape.body.count) bytes; target ≤ 5 ms")

        // 3. First use from a folder against a cold load from the registry.
        var folderExtra: [Double] = [], coldExtra: [Double] = [], folderLoad: [Double] = [], coldLoad: [Double] = []
        var folderStore: [Double] = []
        let writes = service.folderImports
        for round in 0..<rounds {
            let registered = "cold-\(round)", inFolder = "folder-\(round)"
            let coldFiles = try SyntheticModel.peftFiles(config: modelConfig, kinds: [.q, .v], rank: 8, seed: UInt64(1000 + round))
            let form = BenchHTTPClient.multipart([("name", nil, Array(registered.utf8)),
                                                  ("config", "adapter_config.json", Array(coldFiles.config)),
                                                  ("weights", "adapter_model.safetensors", Array(coldFiles.weights))])
            let up = try client.post("/adapters", contentType: form.contentType, body: form.body)
            guard up.status == 201 else { throw BenchError.http(up.status, up.text) }
            let folderFiles = try SyntheticModel.peftFiles(config: modelConfig, kinds: [.q, .v], rank: 8, seed: UInt64(2000 + round))
            let path = adapterDir.appendingPathComponent(inFolder)
            try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
            try folderFiles.config.write(to: path.appendingPathComponent("adapter_config.json"))
            try folderFiles.weights.write(to: path.appendingPathComponent("adapter_model.safetensors"))
            // Alternate which goes first, so drift does not favour one.
            for which in round % 2 == 0 ? [registered, inFolder] : [inFolder, registered] {
                let loadedBefore = service.cache.stats.loadSeconds
                let storedBefore = writes?.stats.writeSeconds ?? 0
                let first = try complete(which)
                // The cache's own account of the load the first request paid
                // (for the folder: the import, then the load).
                let load = service.cache.stats.loadSeconds - loadedBefore
                let warm = try (0..<3).map { _ in try complete(which) }.min() ?? first
                if which == inFolder {
                    folderExtra.append(first - warm)
                    folderLoad.append(load)
                    // The row written behind the request; waited for here so
                    // it does not overlap the next measurement.
                    writes?.drain()
                    folderStore.append((writes?.stats.writeSeconds ?? 0) - storedBefore)
                } else {
                    coldExtra.append(first - warm)
                    coldLoad.append(load)
                }
            }
        }
        let extra = median(folderLoad) - median(coldLoad)
        report.add("cold load, r=8 q,v adapter registered, not resident", "\(format(median(coldLoad) * 1000, 2)) ms",
                   "registry read + validation + conversion (AdapterCache.stats); median of \(rounds)")
        report.add("first use, r=8 q,v adapter only in adapter_dirs", "\(format(median(folderLoad) * 1000, 2)) ms",
                   "read + validate + build, served at once; folder − cold = \(format(extra * 1000, 2)) ms (target ≤ 10 ms: \(extra <= 0.010 ? "met" : "NOT met"))")
        report.add("its registry row, written behind the request", "\(format(median(folderStore) * 1000, 2)) ms",
                   "one insert (synchronous=FULL); median of \(rounds), max \(format((folderStore.max() ?? .nan) * 1000, 2)) ms")
        report.add("first completion − warm completion, max_tokens 1", "cold +\(format(median(coldExtra) * 1000, 2)) ms",
                   "folder +\(format(median(folderExtra) * 1000, 2)) ms (whole HTTP round trips; median of \(rounds))")

        FileHandleOutput.stdout("model: SmolLM-135M shape (synthetic), F32, \(modelConfig.numHiddenLayers) layers; \(threads) threads\n\n")
        FileHandleOutput.stdout(report.markdown)
    }

    static func name(_ i: Int) -> String { "adapter-" + String(format: "%06d", i) }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0
    }
}
