import Foundation
import Testing
import TestSupport
import SafeTensors
@testable import Llama
import LoRA

/// Qwen2 / Qwen3 / Mistral config.json as transformers 4.x and 5.x write
/// them: what each family reads, its defaults, and what it refuses by name.
@Suite struct QwenConfigTests {
    func decode(_ json: String) throws -> LlamaConfig { try LlamaConfig(json: Data(json.utf8)) }

    /// Qwen2.5-0.5B's config.json as the hub has it (transformers 4.x): an
    /// integer sliding_window with use_sliding_window false, top-level
    /// rope_theta, torch_dtype, no layer_types, no head_dim.
    let hubQwen25 = """
    {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
     "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
     "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
     "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
     "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
     "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true,
     "use_sliding_window": false, "vocab_size": 151936}
    """

    /// Qwen3-0.6B's config.json (transformers 4.51 layout).
    let hubQwen3 = """
    {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
     "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
     "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
     "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
     "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
     "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null, "tie_word_embeddings": true,
     "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936}
    """

    @Test func transformers4QwenHubConfigsLoad() throws {
        let q2 = try decode(hubQwen25)
        #expect(q2.family == .qwen2 && q2.biases == [.q, .k, .v] && !q2.hasQueryKeyNorm)
        #expect(q2.headDim == 64 && q2.numKeyValueHeads == 2 && q2.ropeTheta == 1_000_000)
        // The integer window is inert while use_sliding_window is false.
        #expect(q2.maxPositionEmbeddings == 32768 && q2.slidingWindow == nil && q2.slidingLayers.isEmpty)
        #expect(q2.tieWordEmbeddings && q2.dtype == "bfloat16" && q2.eosTokenIDs == [151643])

        let q3 = try decode(hubQwen3)
        #expect(q3.family == .qwen3 && q3.biases.isEmpty && q3.hasQueryKeyNorm)
        #expect(q3.headDim == 128 && q3.queryDim == 2048 && q3.hiddenSize == 1024)
        #expect(LlamaWeights.shape(of: .o, q3) == LinearShape(outFeatures: 1024, inFeatures: 2048))
    }

    @Test func theFixtureFoldersDecodeAsTheirFamilies() throws {
        let q2 = try LlamaConfig(folder: Fixtures.tinyQwen2)
        #expect(q2.family == .qwen2 && q2.headDim == 32 && q2.rmsNormEps == 1e-6 && q2.maxPositionEmbeddings == 512)
        var bf16 = try LlamaConfig(folder: Fixtures.tinyQwen2BF16)
        #expect(bf16.dtype == "bfloat16")
        bf16.dtype = q2.dtype
        #expect(bf16 == q2)
        let q3 = try LlamaConfig(folder: Fixtures.tinyQwen3)
        #expect(q3.family == .qwen3 && q3.headDim == 48 && q3.queryDim == 192 && q3.keyValueDim == 96)
    }

    /// `Qwen2Config` / `Qwen3Config`: with use_sliding_window true, the
    /// layers from max_window_layers on slide (or those `layer_types`
    /// marks); with it false, sliding_window is None and a layer marked
    /// sliding has no window, which transformers refuses too.
    @Test(arguments: ["qwen2", "qwen3"])
    func useSlidingWindowTrueSlidesTheLayersFromMaxWindowLayersOn(family: String) throws {
        let base = (family == "qwen2" ? hubQwen25 : hubQwen3)
            .replacingOccurrences(of: #""use_sliding_window": false"#, with: #""use_sliding_window": true"#)
        let layers = family == "qwen2" ? 24 : 28
        func with(_ members: String) throws -> LlamaConfig {
            var json = base
            for key in ["sliding_window", "max_window_layers"] {
                json = json.replacingOccurrences(of: #""\#(key)": [0-9a-z]+,\s*"#, with: "", options: .regularExpression)
            }
            return try decode(json.replacingOccurrences(of: "{", with: "{" + members, range: json.range(of: "{")))
        }
        let some = try with(#""sliding_window": 4096, "max_window_layers": 20, "#)
        #expect(some.slidingWindow == 4096 && some.slidingLayers == Set(20..<layers))
        #expect(some.attentionWindow(layer: 19) == nil && some.attentionWindow(layer: 20) == 4096)
        // Absent: Qwen's defaults, sliding_window 4096 and max_window_layers 28.
        let defaults = try with("")
        #expect(defaults.slidingWindow == (layers > 28 ? 4096 : nil) && defaults.slidingLayers == Set(28..<max(28, layers)))
        let none = try with(#""sliding_window": null, "max_window_layers": 0, "#)
        #expect(none.slidingWindow == nil)
        let marked = Array(repeating: #""full_attention""#, count: layers - 2) + [#""sliding_attention""#, #""full_attention""#]
        let typed = try with(#""sliding_window": 1024, "max_window_layers": 0, "layer_types": [\#(marked.joined(separator: ", "))], "#)
        #expect(typed.slidingLayers == [layers - 2] && typed.slidingWindow == 1024)
        let off = base.replacingOccurrences(of: #""use_sliding_window": true"#, with: #""use_sliding_window": false"#)
        let error = #expect(throws: LlamaError.self) {
            try decode(off.replacingOccurrences(of: "{", with: #"{"layer_types": [\#(marked.joined(separator: ", "))], "#,
                                                range: off.range(of: "{")))
        }
        #expect(error?.description.contains("layer_types") == true && error?.description.contains("use_sliding_window") == true,
                "\(String(describing: error))")
        #expect(throws: LlamaError.self) { try with(#""sliding_window": 4096, "max_window_layers": -1, "#) }
    }

    @Test func anUnknownModelTypeIsRefusedNamingIt() throws {
        let json = hubQwen25.replacingOccurrences(of: #""model_type": "qwen2""#, with: #""model_type": "qwen2_moe""#)
            .replacingOccurrences(of: #""architectures": ["Qwen2ForCausalLM"], "#, with: "")
        let error = #expect(throws: LlamaError.self) { try decode(json) }
        #expect(error?.description.contains("model_type \"qwen2_moe\"") == true, "\(String(describing: error))")
        let arch = hubQwen25.replacingOccurrences(of: "Qwen2ForCausalLM", with: "Qwen2MoeForCausalLM")
        let archError = #expect(throws: LlamaError.self) { try decode(arch) }
        #expect(archError?.description.contains("Qwen2MoeForCausalLM") == true)
    }

    /// Defaults are the config classes': `Qwen3Config(head_dim=128)` when the
    /// key is absent, hidden/heads when it is null; Qwen2 always has its
    /// q/k/v biases (no switch: an `attention_bias` key is not read).
    @Test func familyDefaultsAndSwitches() throws {
        let noHeadDim = try decode(hubQwen3.replacingOccurrences(of: #""head_dim": 128, "#, with: ""))
        #expect(noHeadDim.headDim == 128)
        let nullHeadDim = try decode(hubQwen3.replacingOccurrences(of: #""head_dim": 128"#, with: #""head_dim": null"#))
        #expect(nullHeadDim.headDim == 64)
        let biased = try decode(hubQwen3.replacingOccurrences(of: #""attention_bias": false"#, with: #""attention_bias": true"#))
        #expect(biased.biases == [.q, .k, .v, .o])
        let q2 = try decode(hubQwen25.replacingOccurrences(of: #""hidden_act""#, with: #""attention_bias": false, "hidden_act""#))
        #expect(q2.biases == [.q, .k, .v])
        let nullKV = try decode(hubQwen25.replacingOccurrences(of: #""num_key_value_heads": 2"#, with: #""num_key_value_heads": null"#))
        #expect(nullKV.numKeyValueHeads == 14)
    }

    @Test func layerTypesOtherThanFullOrSlidingAttentionAreRefused() throws {
        let four = #""num_hidden_layers": 4, "layer_types": ["full_attention", "full_attention", "linear_attention", "full_attention"]"#
        let json = hubQwen3.replacingOccurrences(of: #""num_hidden_layers": 28"#, with: four)
        let error = #expect(throws: LlamaError.self) { try decode(json) }
        #expect(error?.description.contains("layer_types") == true && error?.description.contains("linear_attention") == true)
        let short = hubQwen3.replacingOccurrences(of: #""num_hidden_layers": 28"#, with: #""num_hidden_layers": 2, "layer_types": ["full_attention"]"#)
        #expect(throws: LlamaError.self) { try decode(short) }
    }

    /// `MistralConfig(sliding_window=4096)` when the key is absent, none when
    /// null; the window applies to every layer and the context stays
    /// max_position_embeddings. A window as long as the context never binds.
    @Test func mistralSlidingWindowAppliesToEveryLayer() throws {
        let mistral = hubQwen25.replacingOccurrences(of: "Qwen2ForCausalLM", with: "MistralForCausalLM")
            .replacingOccurrences(of: #""model_type": "qwen2""#, with: #""model_type": "mistral""#)
        let windowed = try decode(mistral.replacingOccurrences(of: #""sliding_window": 32768"#, with: #""sliding_window": 4096"#))
        #expect(windowed.maxPositionEmbeddings == 32768 && windowed.slidingWindow == 4096)
        #expect(windowed.slidingLayers == Set(0..<windowed.numHiddenLayers))
        #expect(windowed.biases.isEmpty)
        let absent = try decode(mistral.replacingOccurrences(of: #""sliding_window": 32768, "#, with: ""))
        #expect(absent.slidingWindow == 4096 && absent.maxPositionEmbeddings == 32768)
        let none = try decode(mistral.replacingOccurrences(of: #""sliding_window": 32768"#, with: #""sliding_window": null"#))
        #expect(none.maxPositionEmbeddings == 32768 && none.slidingWindow == nil)
        let wide = try decode(mistral)   // window == context: never binds
        #expect(wide.maxPositionEmbeddings == 32768 && wide.slidingWindow == nil && wide.slidingLayers.isEmpty)
        #expect(throws: LlamaError.self) {
            try decode(mistral.replacingOccurrences(of: #""sliding_window": 32768"#, with: #""sliding_window": 0"#))
        }
    }
}

/// Whole model folders that must not load, each refused with the key or
/// tensor at fault named (the checks `lorad serve` runs at start-up).
@Suite struct QwenFolderRefusalTests {
    /// A copy of a fixture folder with config.json edited and/or tensors dropped.
    static func variant(of source: URL, config edit: (String) -> String = { $0 },
                        dropping dropped: Set<String> = []) throws -> URL {
        let dir = try Fixtures.temporaryDirectory("lorad-qwen-refusal")
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let configURL = dir.appendingPathComponent("config.json")
        try Data(edit(try String(contentsOf: configURL, encoding: .utf8)).utf8).write(to: configURL)
        if !dropped.isEmpty {
            let checkpoint = try Checkpoint(folder: source)
            let kept = checkpoint.tensorNames.filter { !dropped.contains($0) }
            let tensors = try kept.map { name -> (name: String, dtype: DType, shape: [Int], values: [Float]) in
                let info = try #require(checkpoint.info(name))
                return (name, info.dtype, info.shape, try checkpoint.floats(name))
            }
            try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: dir.appendingPathComponent("model.safetensors"))
        }
        return dir
    }

    @Test func aQwen3CheckpointMissingQNormIsRefusedNamingTheTensor() throws {
        let dir = try Self.variant(of: Fixtures.tinyQwen3, dropping: ["model.layers.2.self_attn.q_norm.weight"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: LlamaError.missingTensor("model.layers.2.self_attn.q_norm.weight")) {
            _ = try LlamaModel.load(folder: dir)
        }
    }

    @Test func aQwen2CheckpointMissingABiasIsRefusedNamingTheTensor() throws {
        let dir = try Self.variant(of: Fixtures.tinyQwen2, dropping: ["model.layers.0.self_attn.k_proj.bias"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: LlamaError.missingTensor("model.layers.0.self_attn.k_proj.bias")) {
            _ = try LlamaModel.load(folder: dir)
        }
    }

    @Test func qwen2WeightsUnderALlamaConfigAreRefusedNamingABias() throws {
        let dir = try Self.variant(of: Fixtures.tinyQwen2) {
            $0.replacingOccurrences(of: "Qwen2ForCausalLM", with: "LlamaForCausalLM")
                .replacingOccurrences(of: #""model_type": "qwen2""#, with: #""model_type": "llama""#)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: LlamaError.self) { _ = try LlamaModel.load(folder: dir) }
        #expect(error?.description.contains("self_attn.q_proj.bias") == true, "\(String(describing: error))")
    }

    @Test func layersMarkedSlidingWithoutAWindowInAFolderAreRefusedNamingTheKey() throws {
        let dir = try Self.variant(of: Fixtures.tinyQwen2) {
            $0.replacingOccurrences(of: #""use_sliding_window": false"#, with: #""use_sliding_window": false, "#
                + #""layer_types": ["full_attention", "sliding_attention", "full_attention", "full_attention"]"#)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: LlamaError.self) { _ = try LlamaModel.load(folder: dir) }
        #expect(error?.description.contains("layer_types") == true, "\(String(describing: error))")
    }
}
