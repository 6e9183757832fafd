import Foundation
import Testing
import Llama
import LoRA
import SafeTensors
import TestSupport

/// `lorad merge` and `lorad generate` on the Qwen fixtures, run as a user
/// runs them: the merged folder keeps the base's tensor set (biases, q/k
/// norms, no lm_head while tied), matches PEFT's `merge_and_unload()` and
/// serves the merged reference; wrong inputs are refused by name.
@Suite struct QwenMergeCommandTests {
    static let references = Result { try References.load(Fixtures.qwenReferences) }

    /// `lorad merge --model MODEL --adapter ADAPTER --out TMP`; the output folder.
    static func merge(model: URL, adapter: String) throws -> URL {
        let out = try Fixtures.temporaryDirectory("lorad-qwen-merge")
        let r = try LoradBinary.run(["merge", "--model", model.path, "--adapter", Fixtures.adapter(adapter).path, "--out", out.path])
        try #require(r.status == 0, "stderr: \(r.stderr)")
        return out
    }

    /// Every prompt through `folder` loaded by lorad: last logits within 1e-4
    /// of `variant`'s reference and the same greedy ids.
    static func expectReference(_ folder: URL, _ variant: String) throws {
        let refs = try references.get()
        let model = try LlamaModel.load(folder: folder)
        for prompt in refs.prompts {
            let expected = try #require(refs.result(variant, prompt.name))
            let (logits, tokens) = try greedy(model, prompt.input_ids, count: expected.generated_ids.count)
            let diff = zip(logits, expected.last_logits).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff < 1e-4, "\(variant) on \(prompt.name): max abs logit diff \(diff)")
            #expect(tokens == expected.generated_ids, "\(variant) on \(prompt.name)")
        }
    }

    @Test func qwen2MergeMatchesPEFTPerTensorBiasesIncludedAndServesTheMergedReference() throws {
        let out = try Self.merge(model: Fixtures.tinyQwen2, adapter: "qwen2-python-qv-r8")
        defer { try? FileManager.default.removeItem(at: out) }
        let ours = try Checkpoint(folder: out), peft = try Checkpoint(folder: Fixtures.mergedQwen2PythonQV)
        // The same tensor set: q/k/v biases under their names, no lm_head (tied).
        #expect(ours.tensorNames == peft.tensorNames)
        #expect(ours.tensorNames.filter { $0.hasSuffix(".bias") }.count == 12)
        #expect(!ours.tensorNames.contains("lm_head.weight"))
        for name in peft.tensorNames {
            #expect(ours.info(name)?.shape == peft.info(name)?.shape && ours.info(name)?.dtype == peft.info(name)?.dtype, "\(name)")
            let worst = zip(try ours.floats(name), try peft.floats(name)).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(name): max abs diff \(worst)")
        }
        try Self.expectReference(out, "merged-qwen2-python-qv-r8")
        try Self.expectReference(Fixtures.mergedQwen2PythonQV, "merged-qwen2-python-qv-r8")
    }

    /// No PEFT merged Qwen3 folder exists, so the merge is held to what it
    /// must equal: untouched tensors (q/k norms included) byte for byte, and
    /// the merged model within 1e-4 of the unmerged PEFT reference (PEFT's
    /// own unmerged-vs-merged distance is 7e-6).
    @Test func qwen3MergeCopiesTheQKNormsAndServesTheAdaptersReference() throws {
        let out = try Self.merge(model: Fixtures.tinyQwen3, adapter: "qwen3-python-qkvo-r8")
        defer { try? FileManager.default.removeItem(at: out) }
        let ours = try Checkpoint(folder: out), base = try Checkpoint(folder: Fixtures.tinyQwen3)
        #expect(ours.tensorNames == base.tensorNames)
        let norms = base.tensorNames.filter { $0.hasSuffix("q_norm.weight") || $0.hasSuffix("k_norm.weight") }
        #expect(norms.count == 8)
        for name in base.tensorNames where !name.contains("_proj.") || name.contains("mlp.") {
            let same = try ours.withRawBytes(name) { a in try base.withRawBytes(name) { b in a.elementsEqual(b) } }
            #expect(same, "\(name) copied byte for byte")
        }
        try Self.expectReference(out, "qwen3-python-qkvo-r8")
    }

    /// tiny-llama's adapters have exactly tiny-qwen2's shapes; only
    /// `base_model_name_or_path` tells them apart, and it names a Llama.
    @Test func aLlamaAdapterIsRefusedOnAQwen2BaseNamingTheDeclaredBase() throws {
        let out = try Fixtures.temporaryDirectory("lorad-qwen-merge-bad")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyQwen2.path, "--adapter", Fixtures.adapter("python-qv-r8").path,
                                     "--out", out.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("base_model_name_or_path") && r.stderr.contains("tiny-llama") && r.stderr.contains("qwen2"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
    }

    /// `lorad generate` refuses folders it cannot compute exactly, naming the key or tensor.
    @Test func generateRefusesWhatItCannotComputeNamingTheKeyOrTensor() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-qwen-generate")
        defer { try? FileManager.default.removeItem(at: dir) }
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: Fixtures.tinyQwen2.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let configURL = dir.appendingPathComponent("config.json")
        let original = try String(contentsOf: configURL, encoding: .utf8)
        for (from, to, named) in [(#""use_sliding_window": false"#,
                                   #""use_sliding_window": false, "layer_types": ["sliding_attention", "full_attention", "full_attention", "full_attention"]"#,
                                   "layer_types"),
                                  (#""model_type": "qwen2""#, #""model_type": "qwen9""#, "qwen9")] {
            try Data(original.replacingOccurrences(of: from, with: to).utf8).write(to: configURL)
            let r = try LoradBinary.run(["generate", "--model", dir.path, "--prompt", "hello", "--max-tokens", "2"])
            #expect(r.status == 1 && r.stderr.contains(named), "\(named): \(r.status) \(r.stderr)")
        }
        // Restored, it generates the reference text.
        try Data(original.utf8).write(to: configURL)
        let refs = try Self.references.get()
        let prompt = try #require(refs.prompt("english"))
        let expected = try #require(refs.result("qwen2-base", "english"))
        let r = try LoradBinary.run(["generate", "--model", dir.path, "--prompt", prompt.text, "--max-tokens", "24"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix(expected.generated_text), "\(r.stdout)")
    }
}
