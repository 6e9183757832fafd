import Foundation
import Testing
import Llama
import LoRA
import SafeTensors
import TestSupport

/// `lorad merge` run as a user runs it: the folder it writes matches PEFT's
/// `merge_and_unload()` output and generates the merged reference text.
@Suite struct MergeCommandTests {
    /// (adapter, PEFT's merged folder of it, its references file and variant).
    static let merges: [(String, URL, URL, String)] = [
        ("python-qv-r8", Fixtures.mergedPythonQV, Fixtures.references, "merged-python-qv-r8"),
        ("dora-qv-r8", Fixtures.mergedDoRAQV, Fixtures.doraReferences, "merged-dora-qv-r8"),
    ]

    @Test(arguments: 0..<2)
    func mergedFolderMatchesPEFTMergeAndGeneratesTheMergedReference(_ index: Int) throws {
        let (adapter, merged, references, variant) = Self.merges[index]
        let out = try Fixtures.temporaryDirectory("lorad-merge")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path,
                                     "--adapter", Fixtures.adapter(adapter).path, "--out", out.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")

        let ours = try Checkpoint(folder: out)
        let peft = try Checkpoint(folder: merged)
        #expect(ours.tensorNames == peft.tensorNames)
        var maxDiff: Float = 0
        for name in peft.tensorNames {
            #expect(ours.info(name)?.shape == peft.info(name)?.shape)
            #expect(ours.info(name)?.dtype == peft.info(name)?.dtype)
            let a = try ours.floats(name), b = try peft.floats(name)
            for (x, y) in zip(a, b) { maxDiff = max(maxDiff, abs(x - y)) }
        }
        #expect(maxDiff <= 1e-5, "\(adapter): max abs diff \(maxDiff)")
        for file in ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) copied")
        }

        // The merged folder loads as a base model and reproduces transformers'
        // greedy output of the merged model for every prompt.
        let refs = try References.load(references)
        let model = try LlamaModel.load(folder: out)
        for prompt in refs.prompts {
            let expected = try #require(refs.result(variant, prompt.name))
            #expect(try greedy(model, prompt.input_ids, count: expected.generated_ids.count).tokens == expected.generated_ids, "prompt \(prompt.name)")
        }
    }

    @Test func aDoRAAdapterInACombinedMergeIsRefused() throws {
        let out = try Fixtures.temporaryDirectory("lorad-merge-dora-mix")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--adapter", Fixtures.adapter("dora-qv-r8").path,
                                     "--adapter", Fixtures.adapter("python-qv-r8").path + ":0.5", "--out", out.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("DoRA") && r.stderr.contains("dora-qv-r8"), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
    }

    /// A merge F16 cannot hold (a base whose k_proj of layer 0 is scaled
    /// past ±65504, written with `--dtype f16`) fails naming the tensor and
    /// leaves no weights file, whole or partial.
    @Test func anF16MergePastItsRangeFailsNamingTheTensorAndWritesNothing() throws {
        let base = try Fixtures.temporaryDirectory("lorad-merge-loud-base")
        let out = try Fixtures.temporaryDirectory("lorad-merge-loud")
        defer { try? FileManager.default.removeItem(at: base); try? FileManager.default.removeItem(at: out) }
        let loud = "model.layers.0.self_attn.k_proj.weight"
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, scaling: loud, by: 1e7, to: base)
        let r = try LoradBinary.run(["merge", "--model", base.path, "--adapter", Fixtures.adapter("python-qv-r8").path,
                                     "--out", out.path, "--dtype", "f16"])
        #expect(r.status != 0)
        #expect(r.stderr.contains(loud) && r.stderr.contains("65504"), "stderr: \(r.stderr)")
        for file in ["model.safetensors", "model.safetensors.partial"] {
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) left behind")
        }
    }

    /// A base holding a NaN (a damaged checkpoint, which `serve` refuses
    /// too) merges to nothing: the error names the tensor, row and column —
    /// in a linear the adapter adapts or in one copied through — and no
    /// weights file appears.
    @Test(arguments: ["model.layers.0.self_attn.q_proj.weight", "model.layers.2.mlp.up_proj.weight"])
    func aBaseHoldingNaNMergesToNothingNamingTheTensorRowAndColumn(tensor: String) throws {
        let base = try Fixtures.temporaryDirectory("lorad-merge-nan-base")
        let out = try Fixtures.temporaryDirectory("lorad-merge-nan")
        defer { try? FileManager.default.removeItem(at: base); try? FileManager.default.removeItem(at: out) }
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, poking: [(tensor, 2 * 128 + 9, .nan)], to: base)
        let r = try LoradBinary.run(["merge", "--model", base.path, "--adapter", Fixtures.adapter("python-qv-r8").path,
                                     "--out", out.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains(tensor) && r.stderr.contains("row 2, column 9") && r.stderr.contains("damaged"),
                "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
    }

    /// `lorad merge` killed (SIGKILL: no handler runs) while it writes
    /// model.safetensors leaves the folder as it was: the earlier merge's
    /// file intact and no partial file beside it. The base carries a 128 MB
    /// extra tensor (copied through by the merge) so the write lasts long
    /// enough to be caught: the kill follows the first sight of the
    /// merge's open output file in /proc.
    @Test func aMergeKilledWhileWritingLeavesTheFolderAsItWas() throws {
        let base = try Fixtures.temporaryDirectory("lorad-merge-big-base")
        let out = try Fixtures.temporaryDirectory("lorad-merge-killed")
        defer { try? FileManager.default.removeItem(at: base); try? FileManager.default.removeItem(at: out) }
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, appending: [
            (name: "lorad.test.padding", shape: [1 << 25], values: [Float](repeating: 0.5, count: 1 << 25)),
        ], to: base)
        let earlier = Data("an earlier merge".utf8)
        let weights = out.appendingPathComponent("model.safetensors")
        try earlier.write(to: weights)

        let merge = Process()
        merge.executableURL = try LoradBinary.url()
        merge.arguments = ["merge", "--model", base.path, "--adapter", Fixtures.adapter("python-qv-r8").path, "--out", out.path]
        merge.standardError = FileHandle.nullDevice
        try merge.run()
        // The merge's descriptors, until one is open on a file in `out`.
        let fds = "/proc/\(merge.processIdentifier)/fd"
        var writing: String?
        while merge.isRunning, writing == nil {
            writing = (try? FileManager.default.contentsOfDirectory(atPath: fds))?.lazy
                .compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: fds + "/" + $0) }
                .first { $0.hasPrefix(out.path + "/") }
            if writing == nil { usleep(500) }
        }
        kill(merge.processIdentifier, SIGKILL)
        merge.waitUntilExit()
        let file = try #require(writing, "the merge ended before it was seen writing")
        #expect(merge.terminationReason == .uncaughtSignal, "killed while writing \(file)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["model.safetensors"])
        #expect(try Data(contentsOf: weights) == earlier)
    }

    @Test func bf16MergeRoundsTheF32MergeToNearestEven() throws {
        let f32 = try Fixtures.temporaryDirectory("lorad-merge32")
        let bf16 = try Fixtures.temporaryDirectory("lorad-merge16")
        defer { try? FileManager.default.removeItem(at: f32); try? FileManager.default.removeItem(at: bf16) }
        for (dir, extra) in [(f32, [String]()), (bf16, ["--dtype", "bf16"])] {
            let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path,
                                         "--adapter", Fixtures.adapter("upper-all-r4").path + ":0.5", "--out", dir.path] + extra)
            #expect(r.status == 0, "stderr: \(r.stderr)")
        }
        let a = try Checkpoint(folder: f32), b = try Checkpoint(folder: bf16)
        for name in a.tensorNames {
            #expect(b.info(name)?.dtype == .bf16)
            let expected = try a.floats(name).map(FloatConversion.floatToBF16)
            #expect(try b.sixteenBitWords(name) == expected, "tensor \(name)")
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: bf16.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["dtype"] as? String == "bfloat16")
    }

    @Test func mergeRefusesAnAdapterForAnotherBaseWithAClearMessage() throws {
        let out = try Fixtures.temporaryDirectory("lorad-merge-bad")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--adapter", out.path, "--out", out.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("adapter_config.json"))
        let usage = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--out"))
    }

    @Test func adapterWeightsTheDaemonRefusesAreRefusedOnTheCommandLineToo() throws {
        let out = try Fixtures.temporaryDirectory("lorad-merge-weights")
        defer { try? FileManager.default.removeItem(at: out) }
        let adapter = Fixtures.adapter("python-qv-r8").path
        for weight in ["1e9", "nan", "-inf", "101"] {
            for command in [["merge", "--out", out.path], ["generate", "--prompt", "hi", "--max-tokens", "1"]] {
                let r = try LoradBinary.run(command + ["--model", Fixtures.tinyLlama.path, "--adapter", "\(adapter):\(weight)"])
                #expect(r.status == 2, "\(command[0]) :\(weight): exit \(r.status) \(r.stderr.suffix(300))")
                #expect(r.stderr.contains("\(adapter):\(weight)") && r.stderr.contains("100"), "\(r.stderr.suffix(300))")
            }
        }
        let many = Array(repeating: ["--adapter", adapter], count: 17).flatMap { $0 }
        let r = try LoradBinary.run(["generate", "--prompt", "hi", "--model", Fixtures.tinyLlama.path] + many)
        #expect(r.status == 2 && r.stderr.contains("at most 16"), "\(r.stderr.suffix(300))")
        // A weight within the bound still merges.
        let fine = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--adapter", adapter + ":-0.5", "--out", out.path])
        #expect(fine.status == 0, "\(fine.stderr.suffix(300))")
    }
}

/// Greedy continuation through the model alone (prefill, then one token a
/// step): the prompt's last logits and the generated ids.
func greedy(_ model: LlamaModel, _ prompt: [Int], count: Int) throws -> (logits: [Float], tokens: [Int]) {
    let ws = Workspace()
    let seq = model.makeSequence()
    var rows = prompt.enumerated().map { ForwardRow(sequence: seq, token: $0.element, position: $0.offset, needsLogits: $0.offset == prompt.count - 1) }
    var first: [Float] = []
    var out: [Int] = []
    while out.count < count {
        let logits = try model.forward(rows, lora: LoRABatchPlan(rows: Array(repeating: [], count: rows.count)), workspace: ws)
        let row = try #require(logits[rows.count - 1])
        if first.isEmpty { first = Array(row) }
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        let token = best - row.startIndex
        out.append(token)
        if token == model.config.eosTokenIDs.first { break }
        rows = [ForwardRow(sequence: seq, token: token, position: seq.length)]
    }
    return (first, out)
}
