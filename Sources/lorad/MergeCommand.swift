import AdapterNaming
import CLI
import Daemon
import Foundation
import Kernels
import Llama
import LoRA
import SafeTensors
import Serving

/// `lorad merge`: folds adapters into the base weights (W0 + Σ w·s·B·A, or
/// g ⊙ (W0 + w·s·B·A) for a DoRA adapter) and
/// writes a complete Hugging Face model folder — model.safetensors with the
/// base checkpoint's tensor names, config.json, generation config and
/// tokenizer files — loadable by transformers and by lorad itself.
enum MergeCommand {
    static let usage = """
    usage: lorad merge [--model DIR] --adapter DIR[:W] [--adapter DIR[:W] …] --out DIR [--dtype f32|bf16|f16]
      --model DIR          base model folder (default: the bundled models/tiny-llama)
      --adapter DIR[:W]    PEFT LoRA adapter folder, optionally weighted (repeatable: deltas add up);
                           a hub id ORG/NAME is read from the hub cache ($HF_HUB_CACHE, …) at refs/main
      --out DIR            output folder (created; existing files of the same names are replaced)
      --dtype T            dtype of the written weights (default: the base checkpoint's)
      --threads N          compute threads (default: 2)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["model", "adapter", "out", "dtype", "threads"])
        let modelFolder = try ModelLocator.resolve(a.value("model"))
        guard let out = a.value("out") else { throw UsageError.missing("--out DIR") }
        guard !a.values("adapter").isEmpty else { throw UsageError.missing("--adapter DIR") }
        var dtype: DType? = nil
        if let d = a.value("dtype") {
            guard let parsed = DType(userSpelling: d) else { throw UsageError.badValue(option: "dtype", value: d, expected: "f32, bf16 or f16") }
            dtype = parsed
        }
        Compute.setThreads(try a.int("threads", default: 2, range: 1...256))

        let checkpoint = try Checkpoint(folder: modelFolder)
        // The checkpoint's own W0 (what is merged into) for DoRA factors at load;
        // the merge itself recomputes them from the merged rows.
        let base = CheckpointLinears(checkpoint)
        // The merge itself needs only tensor names and shapes, so a config
        // lorad cannot serve still merges; when it decodes, an adapter made
        // for another family is refused as the daemon would.
        let identity = (try? LlamaConfig(folder: modelFolder))?.baseIdentity(names: [modelFolder.lastPathComponent])
        var uses: [AdapterUse] = []
        for raw in try AdapterArgument.values(a) {
            let (path, weight) = try AdapterArgument.split(raw)
            let folder = try AdapterArgument.folder(path).url
            let loaded = try AdapterLoader.load(name: folder.lastPathComponent, folder: folder, base: base, identity: identity)
            uses.append(AdapterUse(loaded.adapter, weight: weight))
        }
        let plan = try MergePlan(base: checkpoint, adapters: uses, outputDType: dtype)
        let outURL = URL(fileURLWithPath: out)
        try write(plan: plan, modelFolder: modelFolder, to: outURL)
        FileHandleOutput.stderr("lorad: wrote \(outURL.appendingPathComponent("model.safetensors").path) (\(try plan.outputByteCount()) bytes)\n")
    }

    /// Writes the folder: model.safetensors and the companion files
    /// `MergedFolder.companionFiles` names, as the base has them, each
    /// complete or not at all. The companions are read first, so a base
    /// folder with an unreadable one (a FIFO, a folder) writes nothing.
    static func write(plan: MergePlan, modelFolder: URL, to out: URL) throws {
        var companions: [(name: String, data: Data)] = []
        for name in MergedFolder.companionFiles {
            guard let data = try MergedFolder.companion(name, in: modelFolder, dtype: plan.outputDType) else { continue }
            companions.append((name, data))
        }
        try MergeOutputError.createFolder(out)
        // model.safetensors appears complete or not at all (AtomicFile): a
        // refused merge (a tensor the dtype cannot hold) or a killed one
        // leaves no weights file, whole or partial, and an earlier one as it was.
        try plan.write(to: out.appendingPathComponent("model.safetensors"))
        for (name, data) in companions {
            // AtomicFile's errors name the file and the system's reason.
            try AtomicFile.write(to: out.appendingPathComponent(name)) { try $0.write(contentsOf: data) }
        }
    }
}

/// `DIR` or `DIR:WEIGHT` (the weight scales the adapter's own alpha/r);
/// `DIR` may be a hub id `ORG/NAME` downloaded with `hf download`.
enum AdapterArgument {
    /// The adapter folder `path` names: itself when it exists; else, for a
    /// hub id `ORG/NAME`, its snapshot at `refs/main` in the Hugging Face hub
    /// cache (found as `hf_hub_cache = auto` finds it: `$HF_HUB_CACHE`, …);
    /// else `path` (whose load then fails naming it).
    /// - Throws: `AdapterPathError` for a hub cache entry that is incomplete
    ///   or leaves the cache.
    static func folder(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> (url: URL, hubID: String?) {
        guard !FileManager.default.fileExists(atPath: path), AdapterName.brokenRule(path) == nil, path.contains("/"),
              let root = HubCacheSetting.auto.root(environment: environment),
              let (folder, _) = try HubCacheLayout(root: root).locate(path) else { return (URL(fileURLWithPath: path), nil) }
        return (URL(fileURLWithPath: folder), path)
    }

    /// `DIR` (weight 1) or `DIR:W`. What follows the last colon is a weight
    /// when it reads as a number at all, and then must be one the daemon
    /// accepts in a spec (finite, |W| ≤ `AdapterSpec.maxWeight`): `DIR:1e9`
    /// or `DIR:nan` is refused, not served as garbage or taken for a folder.
    static func split(_ raw: String) throws -> (path: String, weight: Float) {
        guard let colon = raw.lastIndex(of: ":") else { return (raw, 1) }
        let text = raw[raw.index(after: colon)...]
        guard let w = Double(text) else { return (raw, 1) }
        guard w.isFinite, abs(w) <= Double(AdapterSpec.maxWeight) else {
            throw UsageError.badValue(option: "adapter", value: raw,
                                      expected: "a finite weight within ±\(AdapterSpec.maxWeight) after the colon")
        }
        return (String(raw[..<colon]), Float(w))
    }

    /// The `--adapter` values, at most `AdapterSpec.maxTerms` of them (the daemon's bound).
    static func values(_ a: Arguments) throws -> [String] {
        let values = a.values("adapter")
        guard values.count <= AdapterSpec.maxTerms else {
            throw UsageError.badValue(option: "adapter", value: "(\(values.count) of them)",
                                      expected: "at most \(AdapterSpec.maxTerms) adapters")
        }
        return values
    }
}
