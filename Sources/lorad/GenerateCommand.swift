import AdapterNaming
import CLI
import Foundation
import Kernels
import Llama
import LoRA
import Serving
import Tokenization

/// `lorad generate`: one completion, streamed to stdout as it is produced,
/// through the same engine the daemon uses.
enum GenerateCommand {
    static let usage = """
    usage: lorad generate [--model DIR] --prompt TEXT [options]
      --model DIR          Hugging Face model folder (default: the bundled models/tiny-llama)
      --prompt TEXT        the prompt (BOS is added as the tokenizer's post-processor says)
      --max-tokens N       new tokens at most (default: 64)
      --temperature T      0 = greedy (default: 0)
      --top-k K            keep the K most likely tokens (default: 0 = off)
      --top-p P            nucleus sampling (default: 1 = off)
      --seed S             sampling seed (same seed, same output)
      --stop TEXT          stop string, never printed (repeatable)
      --adapter DIR[:W]    PEFT LoRA adapter folder, optionally weighted (repeatable: deltas add up);
                           a hub id ORG/NAME is read from the hub cache ($HF_HUB_CACHE, …) at refs/main
      --threads N          OpenBLAS threads (default: 2)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["model", "prompt", "max-tokens", "temperature", "top-k", "top-p",
                                             "seed", "stop", "adapter", "threads"])
        guard let prompt = a.value("prompt") ?? a.positional.first else { throw UsageError.missing("--prompt TEXT") }
        let folder = try ModelLocator.resolve(a.value("model"))
        Compute.setThreads(try a.int("threads", default: 2, range: 1...256))
        let sampling = SamplingParameters(
            temperature: try a.float("temperature", default: 0, range: 0...100),
            topK: try a.int("top-k", default: 0, range: 0...Int.max),
            topP: try a.float("top-p", default: 1, range: 0.000001...1),
            seed: try a.uint64("seed"))

        FileHandleOutput.stderr("lorad: loading \(folder.path)…\n")
        let start = ContinuousClock.now
        // A progress line for models worth waiting for (every 10 %, on stderr).
        var reported = 0
        let model = try LlamaModel.load(folder: folder) { loaded, total in
            guard total >= 256 << 20 else { return }
            let percent = loaded * 100 / max(total, 1)
            if percent >= reported + 10 || loaded == total {
                reported = percent
                FileHandleOutput.stderr("lorad: loading weights \(percent)% (\(loaded >> 20) of \(total >> 20) MiB)\n")
            }
        }
        let tokenizer = try Tokenizer(folder: folder)
        FileHandleOutput.stderr("lorad: loaded \(model.config.numHiddenLayers) layers, \(format(Double(model.weights.bytesReadPerToken) / 1e6)) MB of \(model.weights.format.rawValue.uppercased()) weights in \(format((ContinuousClock.now - start).seconds, 2)) s\n")

        // Adapters: DIR or DIR:WEIGHT, served under the folder's name.
        var folders: [String: URL] = [:]
        var terms: [AdapterSpec.Term] = []
        for raw in try AdapterArgument.values(a) {
            let (path, weight) = try AdapterArgument.split(raw)
            let (url, hubID) = try AdapterArgument.folder(path)
            // A hub id read from the hub cache keeps its id as its name.
            var name = hubID ?? url.lastPathComponent
            if AdapterName.brokenRule(name) != nil || folders[name] != nil { name = "adapter\(terms.count)" }
            folders[name] = url
            terms.append(.init(name: name, weight: weight))
        }
        let cache = AdapterCache(source: FolderAdapterSource(folders: folders), budgetBytes: Int.max,
                                 loader: AdapterCache.validatingLoader(base: model.weights, identity: model.config.baseIdentity(names: [folder.lastPathComponent])))
        let engine = Engine(model: model, tokenizer: tokenizer, adapters: cache)
        defer { engine.shutdown() }

        let request = GenerationRequest(
            promptTokens: tokenizer.encode(prompt), adapters: AdapterSpec(terms: terms), sampling: sampling,
            maxTokens: try a.int("max-tokens", default: 64, range: 1...1_000_000), stop: a.values("stop"))
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var final: GenerationResult?   // written once on the engine thread before `done` signals
        _ = try engine.submit(request) { event in
            switch event {
            case .prompt: break
            case .token(let t): FileHandleOutput.stdout(t.text)
            case .finished(let r):
                final = r
                done.signal()
            }
        }
        done.wait()
        FileHandleOutput.stdout("\n")
        if let r = final {
            if let error = r.error { throw GenerateError.failed(error.description) }
            let decodeSeconds = r.totalSeconds - (r.timeToFirstToken ?? 0)
            let rate = r.completionTokens > 1 && decodeSeconds > 0 ? Double(r.completionTokens - 1) / decodeSeconds : 0
            FileHandleOutput.stderr("lorad: \(r.promptTokens) prompt + \(r.completionTokens) generated tokens, finish: \(r.finishReason.rawValue), first token \(format((r.timeToFirstToken ?? 0) * 1000)) ms, \(format(rate)) tok/s\n")
        }
    }
}

enum GenerateError: Error, CustomStringConvertible {
    case failed(String)
    var description: String {
        switch self { case .failed(let m): return m }
    }
}
