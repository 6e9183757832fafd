import Foundation
import SafeTensors
import Testing
import TestSupport

/// The real daemon serving tiny-qwen2 and tiny-qwen3: uploads, greedy
/// completions against references-qwen.json, refusal of adapters made for
/// another family, the merge endpoint (biases and q/k norms under their
/// names, no lm_head while tied) and live merge.
@Suite(.serialized) struct QwenEndToEndTests {
    static let references = Result { try References.load(Fixtures.qwenReferences) }

    /// Uploading a tiny-llama adapter: 422, naming what does not match, and
    /// nothing stored.
    static func expectLlamaAdapterRefused(_ daemon: LoradProcess, mentions: [String]) throws {
        let before = try ServingEndToEndTests.listing(daemon)
        let folder = Fixtures.adapter("python-qv-r8")
        let r = try Curl.upload(daemon.baseURL, name: "llama-python", config: folder.appendingPathComponent("adapter_config.json"),
                                weights: folder.appendingPathComponent("adapter_model.safetensors"),
                                headers: [MergeEndToEndTests.admin])
        #expect(r.status == 422, "\(r.text)")
        for m in mentions { #expect(r.errorMessage?.contains(m) == true, "should mention \(m): \(r.text)") }
        #expect(try ServingEndToEndTests.listing(daemon) == before)
    }

    /// The merge download of `adapter` as a checkpoint.
    static func mergeDownload(_ daemon: LoradProcess, _ adapter: String) throws -> SafeTensorsFile {
        let dl = try MergeEndToEndTests.download(daemon, "/adapters/\(adapter)/merge")
        try #require(dl.status == 200, "\(String(decoding: dl.body.prefix(300), as: UTF8.self))")
        return try SafeTensorsFile(data: dl.body, name: "\(adapter) merge download")
    }

    @Test func qwen2DaemonServesTheReferencesRefusesALlamaAdapterAndMerges() throws {
        let refs = try Self.references.get()
        let daemon = try MergeEndToEndTests.daemon(model: Fixtures.tinyQwen2,
                                                   adapters: ["qwen2-python-qv-r8", "qwen2-upper-all-r4"])
        defer { daemon.cleanUp() }
        try MergeEndToEndTests.expectReferenceTexts(daemon, variant: nil, reference: "qwen2-base", refs: refs, "qwen2 base")
        for adapter in ["qwen2-python-qv-r8", "qwen2-upper-all-r4"] {
            try MergeEndToEndTests.expectReferenceTexts(daemon, variant: adapter, reference: adapter, refs: refs, "qwen2")
        }
        // Same shapes as tiny-qwen2's linears; the declared base names a Llama.
        try Self.expectLlamaAdapterRefused(daemon, mentions: ["base_model_name_or_path", "tiny-llama", "qwen2"])

        // POST /adapters/NAME/merge equals PEFT's merge_and_unload per tensor, biases included.
        let got = try Self.mergeDownload(daemon, "qwen2-python-qv-r8")
        let peft = try SafeTensorsFile(contentsOf: Fixtures.mergedQwen2PythonQV.appendingPathComponent("model.safetensors"))
        #expect(got.tensors.map(\.name).sorted() == peft.tensors.map(\.name).sorted())
        #expect(got.info("lm_head.weight") == nil && got.info("model.layers.3.self_attn.v_proj.bias") != nil)
        for info in peft.tensors {
            let worst = zip(try got.floats(info.name), try peft.floats(info.name)).map { abs($0 - $1) }.max() ?? 0
            #expect(got.info(info.name)?.shape == info.shape && worst <= 1e-5, "\(info.name): max abs diff \(worst)")
        }

        // Live merge: the merged adapter's requests give its reference (and
        // the merged model's), the base and the other adapter stay exact.
        let original = try MergeEndToEndTests.merged(daemon)
        #expect(try MergeEndToEndTests.putMerged(daemon, "qwen2-python-qv-r8").status == 200)
        try MergeEndToEndTests.expectReferenceTexts(daemon, variant: "qwen2-python-qv-r8", reference: "merged-qwen2-python-qv-r8",
                                                    refs: refs, "live-merged")
        try MergeEndToEndTests.expectReferenceTexts(daemon, variant: nil, reference: "qwen2-base", refs: refs, "while merged")
        try MergeEndToEndTests.expectReferenceTexts(daemon, variant: "qwen2-upper-all-r4", reference: "qwen2-upper-all-r4",
                                                    refs: refs, "while merged")
        #expect(try Curl.delete(daemon.baseURL + "/merged", headers: [MergeEndToEndTests.admin]).status == 200)
        #expect(try MergeEndToEndTests.merged(daemon) == (nil, original.checksum), "unmerge restores W0 bit for bit")
    }

    @Test func qwen3DaemonServesTheReferencesRefusesOtherFamiliesAndKeepsTheQKNormsInAMerge() throws {
        let refs = try Self.references.get()
        let daemon = try MergeEndToEndTests.daemon(model: Fixtures.tinyQwen3, adapters: ["qwen3-python-qkvo-r8"])
        defer { daemon.cleanUp() }
        try MergeEndToEndTests.expectReferenceTexts(daemon, variant: nil, reference: "qwen3-base", refs: refs, "qwen3 base")
        try MergeEndToEndTests.expectReferenceTexts(daemon, variant: "qwen3-python-qkvo-r8", reference: "qwen3-python-qkvo-r8",
                                                    refs: refs, "qwen3")
        try Self.expectLlamaAdapterRefused(daemon, mentions: ["base_model_name_or_path", "tiny-llama", "qwen3"])

        let got = try Self.mergeDownload(daemon, "qwen3-python-qkvo-r8")
        let base = try SafeTensorsFile(contentsOf: Fixtures.tinyQwen3.appendingPathComponent("model.safetensors"))
        #expect(got.tensors.map(\.name).sorted() == base.tensors.map(\.name).sorted())
        for layer in 0..<4 {
            for norm in ["q_norm", "k_norm"] {
                let name = "model.layers.\(layer).self_attn.\(norm).weight"
                #expect(try got.floats(name) == base.floats(name), "\(name) copied through")
            }
        }
        let q = try #require(got.info("model.layers.0.self_attn.q_proj.weight"))
        #expect(q.shape == [192, 128])
        #expect(try got.floats(q.name) != base.floats(q.name), "the adapted q_proj is merged")
    }
}
