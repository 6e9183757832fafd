import CLI
import Daemon
import Foundation
import Kernels
import Llama
import LoRA
import Serving
import Synchronization

/// `lorad-bench serve`: the daemon end to end over HTTP, in-process on
/// 127.0.0.1:0 with a temporary registry and the synthesized 135M-shaped model.
///
/// 1. Upload → first completion for a new r=8 q,v adapter, excluding the
///    generation itself: upload time + (first completion with the new adapter
///    − the same completion once the adapter is resident). Target ≤ 50 ms.
/// 2. Aggregate tokens/s of 8 concurrent streaming clients on 8 distinct
///    adapters over HTTP, against the same 8 requests submitted directly to
///    the engine in the same session. Target ratio ≥ 0.9.
enum ServeBench {
    static let usage = """
    usage: lorad-bench serve [--threads N] [--tokens N] [--rounds N]
      --threads N   OpenBLAS threads (default: 2)
      --tokens N    tokens generated per client in the throughput runs (default: 64)
      --rounds N    timed rounds of each measurement; the best is reported (default: 3)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["threads", "tokens", "rounds"])
        let threads = try a.int("threads", default: 2, range: 1...256)
        let tokens = try a.int("tokens", default: 64, range: 4...1024)
        let rounds = try a.int("rounds", default: 3, range: 1...100)
        Compute.setThreads(threads)
        var report = BenchReport()

        let daemon = try BenchDaemon.start(label: "serve", threads: threads)
        defer { daemon.stop() }
        let service = daemon.service, client = daemon.client, folder = daemon.folder
        let modelConfig = service.engine.model.config
        report.add("model", "SmolLM-135M shape, F32, \(modelConfig.numHiddenLayers) layers", "in-process daemon on \(daemon.address)")

        // 1. Upload → first completion.
        let prompt = "The licensee may copy and distribute the software, provided that"
        func complete(_ model: String, maxTokens: Int) throws -> Double {
            let start = ContinuousClock.now
            let r = try client.postJSON("/v1/completions", ["model": model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0])
            guard r.status == 200 else { throw BenchError.http(r.status, r.text) }
            return (ContinuousClock.now - start).seconds
        }
        _ = try complete(service.modelID, maxTokens: 1)  // warm the server path
        var bestUpload = Double.infinity, bestTotal = Double.infinity, bestColdExtra = Double.infinity
        var bestLoad = Double.infinity, bestCold = Double.infinity
        var uploadBytes = 0
        for round in 0..<max(rounds, 3) {
            let files = try SyntheticModel.peftFiles(config: modelConfig, kinds: [.q, .v], rank: 8, seed: UInt64(100 + round))
            let name = "fresh-\(round)"
            let form = BenchHTTPClient.multipart([("name", nil, Array(name.utf8)),
                                                  ("config", "adapter_config.json", Array(files.config)),
                                                  ("weights", "adapter_model.safetensors", Array(files.weights))])
            uploadBytes = form.body.count
            let start = ContinuousClock.now
            let up = try client.post("/adapters", contentType: form.contentType, body: form.body)
            let uploaded = (ContinuousClock.now - start).seconds
            guard up.status == 201 else { throw BenchError.http(up.status, up.text) }
            let loadedBefore = service.cache.stats.loadSeconds
            let cold = try complete(name, maxTokens: 1)
            // The engine's own account of the adapter load the first request paid.
            let load = service.cache.stats.loadSeconds - loadedBefore
            let warm = (0..<3).map { _ in (try? complete(name, maxTokens: 1)) ?? .infinity }.min() ?? .infinity
            bestUpload = min(bestUpload, uploaded)
            bestLoad = min(bestLoad, load)
            bestCold = min(bestCold, cold)
            bestColdExtra = min(bestColdExtra, cold - warm)
            bestTotal = min(bestTotal, uploaded + load)
        }
        report.add("upload r=8 q,v adapter (POST /adapters, \(format(Double(uploadBytes) / 1e6, 2)) MB multipart)",
                   "\(format(bestUpload * 1000, 2)) ms", "validate + SQLite insert (synchronous=FULL) + HTTP")
        report.add("adapter load on the first completion", "\(format(bestLoad * 1000, 2)) ms",
                   "registry read + validation + F32 conversion into the cache (AdapterCache.stats)")
        report.add("first completion with the new adapter, max_tokens 1", "\(format(bestCold * 1000, 2)) ms",
                   "whole HTTP round trip incl. prefill + 1 token; cold − warm = \(format(bestColdExtra * 1000, 2)) ms")
        report.add("upload → first completion, excluding generation", "\(format(bestTotal * 1000, 2)) ms",
                   "upload + adapter load; target ≤ 50 ms: \(bestTotal <= 0.050 ? "met" : "NOT met")")

        // 2. Throughput: 8 clients, 8 distinct adapters, streaming.
        var names: [String] = []
        for i in 0..<8 {
            let files = try SyntheticModel.peftFiles(config: modelConfig, kinds: [.q, .v], rank: 8, seed: UInt64(200 + i))
            let form = BenchHTTPClient.multipart([("name", nil, Array("tp-\(i)".utf8)),
                                                  ("config", "adapter_config.json", Array(files.config)),
                                                  ("weights", "adapter_model.safetensors", Array(files.weights))])
            let up = try client.post("/adapters", contentType: form.contentType, body: form.body)
            guard up.status == 201 else { throw BenchError.http(up.status, up.text) }
            names.append("tp-\(i)")
        }
        let promptTokens = service.tokenizer.encode(prompt)
        var bestDirect = 0.0, bestHTTP = 0.0
        for _ in 0..<rounds {
            bestDirect = max(bestDirect, try direct(service.engine, names: names, prompt: promptTokens, tokens: tokens))
            bestHTTP = max(bestHTTP, try overHTTP(client, names: names, prompt: prompt, tokens: tokens))
        }
        report.add("8 clients × 8 adapters, engine direct", "\(format(bestDirect)) tok/s", "\(tokens) tokens each, best of \(rounds)")
        report.add("8 clients × 8 adapters, HTTP streaming", "\(format(bestHTTP)) tok/s",
                   "\(format(bestHTTP / bestDirect, 3)) of direct (target ≥ 0.9: \(bestHTTP / bestDirect >= 0.9 ? "met" : "NOT met"))")

        try MergeDownloadBench.run(port: client.port, adapter: names[0], modelBytes: (try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("model.safetensors").path)[.size] as? Int) ?? 1, rounds: rounds, into: &report)

        print(report.markdown)
    }

    /// Aggregate tokens/s of the 8 requests submitted straight to the engine.
    static func direct(_ engine: Engine, names: [String], prompt: [Int], tokens: Int) throws -> Double {
        let group = DispatchGroup()
        let generated = Atomic<Int>(0)
        let start = ContinuousClock.now
        for name in names {
            group.enter()
            let request = GenerationRequest(promptTokens: prompt, adapters: try AdapterSpec(parsing: name),
                                            sampling: .greedy, maxTokens: tokens)
            _ = try engine.submit(request) { event in
                if case .finished(let result) = event {
                    generated.add(result.completionTokens, ordering: .relaxed)
                    group.leave()
                }
            }
        }
        group.wait()
        return Double(generated.load(ordering: .relaxed)) / (ContinuousClock.now - start).seconds
    }

    /// The same load as 8 concurrent HTTP clients streaming SSE.
    static func overHTTP(_ client: BenchHTTPClient, names: [String], prompt: String, tokens: Int) throws -> Double {
        let generated = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for name in names {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let r = try client.postJSON("/v1/completions", ["model": name, "prompt": prompt, "max_tokens": tokens,
                                                                    "temperature": 0, "stream": true])
                    guard r.status == 200, r.text.hasSuffix("data: [DONE]\n\n") else { throw BenchError.http(r.status, r.text) }
                    // The final chunk carries usage.
                    guard let range = r.text.range(of: "\"completion_tokens\":"),
                          let n = Int(r.text[range.upperBound...].prefix(while: \.isNumber)) else {
                        throw BenchError.http(r.status, "no usage in the stream")
                    }
                    generated.add(n, ordering: .relaxed)
                } catch {
                    failures.withLock { $0.append(String(describing: error)) }
                }
            }
        }
        group.wait()
        let elapsed = (ContinuousClock.now - start).seconds
        if let first = failures.withLock({ $0.first }) { throw BenchError.http(0, first) }
        return Double(generated.load(ordering: .relaxed)) / elapsed
    }
}
