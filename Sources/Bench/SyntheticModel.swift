import Foundation
import Llama
import LoRA
import SafeTensors

/// A model of a real small checkpoint's shape (`Family`) with seeded random
/// weights, written as a real Hugging Face folder so the benchmark loads it
/// through the normal path (config decoding, safetensors mmap, validation,
/// fusion) — every tensor the family has, biases and q/k norms included.
enum SyntheticModel {
    /// The shapes `lorad-bench model --family` synthesizes.
    enum Family: String, CaseIterable {
        case llama, qwen2, qwen3

        /// The checkpoint whose shape it copies.
        var label: String {
            switch self {
            case .llama: return "SmolLM-135M"
            case .qwen2: return "Qwen2.5-0.5B"
            case .qwen3: return "Qwen3-0.6B"
            }
        }

        /// The config.json of that checkpoint (HuggingFaceTB/SmolLM-135M,
        /// Qwen/Qwen2.5-0.5B, Qwen/Qwen3-0.6B), dtype F32.
        var configJSON: String {
            switch self {
            case .llama:
                return """
                {
                  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
                  "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
                  "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64,
                  "vocab_size": 49152, "max_position_embeddings": 2048, "rms_norm_eps": 1e-05,
                  "rope_theta": 10000.0, "tie_word_embeddings": true, "hidden_act": "silu",
                  "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "float32"
                }
                """
            case .qwen2:
                return """
                {
                  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
                  "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
                  "num_attention_heads": 14, "num_key_value_heads": 2,
                  "vocab_size": 151936, "max_position_embeddings": 32768, "rms_norm_eps": 1e-06,
                  "rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu",
                  "use_sliding_window": false, "sliding_window": 32768, "max_window_layers": 24,
                  "bos_token_id": 151643, "eos_token_id": 151643, "torch_dtype": "float32"
                }
                """
            case .qwen3:
                return """
                {
                  "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
                  "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
                  "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
                  "vocab_size": 151936, "max_position_embeddings": 40960, "rms_norm_eps": 1e-06,
                  "rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu",
                  "attention_bias": false, "use_sliding_window": false, "sliding_window": null,
                  "max_window_layers": 28, "bos_token_id": 151643, "eos_token_id": 151645,
                  "torch_dtype": "float32"
                }
                """
            }
        }
    }

    /// Writes config.json + model.safetensors (F32) into `folder`, plus the
    /// tokenizer files of `tokenizerFrom` (the engine detokenizes what it
    /// generates; ids past that vocabulary decode to nothing).
    static func write(to folder: URL, family: Family = .llama, tokenizerFrom: URL?, seed: UInt64 = 42) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let source = tokenizerFrom {
            for name in ["tokenizer.json", "tokenizer_config.json"] {
                let src = source.appendingPathComponent(name), dst = folder.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: src.path), !FileManager.default.fileExists(atPath: dst.path) {
                    try FileManager.default.copyItem(at: src, to: dst)
                }
            }
        }
        try Data(family.configJSON.utf8).write(to: folder.appendingPathComponent("config.json"))
        let config = try LlamaConfig(json: Data(family.configJSON.utf8))
        let entries = tensorShapes(config).map { SafeTensorsWriter.Entry(name: $0.name, dtype: .f32, shape: $0.shape) }
        var rng = SplitMix64(seed: seed)
        try SafeTensorsWriter(entries: entries, metadata: ["format": "pt"]).write(to: folder.appendingPathComponent("model.safetensors")) { e in
            let values: [Float]
            if e.name.hasSuffix("norm.weight") {
                values = (0..<e.elementCount).map { _ in 1 + rng.uniform(0.1) }   // layer and q/k norms near 1
            } else {
                // Matrices and biases ~U(-0.05, 0.05): activations stay finite over 30 layers.
                values = (0..<e.elementCount).map { _ in rng.uniform(0.05) }
            }
            return try SafeTensorsWriter.encode(values, as: .f32)
        }
    }

    /// Every checkpoint tensor of `config` with its shape, in the order written:
    /// the family's biases and q/k norms included, lm_head only when untied.
    static func tensorShapes(_ config: LlamaConfig) -> [(name: String, shape: [Int])] {
        let h = config.hiddenSize
        var out: [(name: String, shape: [Int])] = [("model.embed_tokens.weight", [config.vocabSize, h])]
        for l in 0..<config.numHiddenLayers {
            let p = "model.layers.\(l)."
            out.append((p + "input_layernorm.weight", [h]))
            out.append((p + "post_attention_layernorm.weight", [h]))
            if config.hasQueryKeyNorm {
                out.append((p + "self_attn.q_norm.weight", [config.headDim]))
                out.append((p + "self_attn.k_norm.weight", [config.headDim]))
            }
            for kind in LinearKind.allCases {
                let s = LlamaWeights.shape(of: kind, config), id = LinearID(layer: l, kind: kind)
                out.append((id.weightName, [s.outFeatures, s.inFeatures]))
                if config.biases.contains(kind) { out.append((id.modulePath + ".bias", [s.outFeatures])) }
            }
        }
        out.append(("model.norm.weight", [h]))
        if !config.tieWordEmbeddings { out.append(("lm_head.weight", [config.vocabSize, h])) }
        return out
    }

    /// A random adapter on `kinds` with rank `rank` for every layer (non-zero B,
    /// unlike a freshly initialised PEFT adapter, so the work is real).
    static func adapter(name: String, config: LlamaConfig, kinds: [LinearKind], rank: Int, seed: UInt64) -> LoRAAdapter {
        var rng = SplitMix64(seed: seed)
        var modules: [LinearID: LoRAModule] = [:]
        for l in 0..<config.numHiddenLayers {
            for kind in kinds {
                let s = LlamaWeights.shape(of: kind, config)
                modules[LinearID(layer: l, kind: kind)] = LoRAModule(
                    rank: rank, inFeatures: s.inFeatures, outFeatures: s.outFeatures, scale: 2,
                    a: (0..<(rank * s.inFeatures)).map { _ in rng.uniform(0.05) },
                    b: (0..<(s.outFeatures * rank)).map { _ in rng.uniform(0.05) })
            }
        }
        return LoRAAdapter(name: name, modules: modules)
    }

    /// The same adapter made DoRA: the same A and B (same seed), plus a
    /// magnitude vector per module near the synthetic base's row norms
    /// (≈ 0.7), so every factor is near 1 as in a trained adapter; the
    /// factors are computed against `base` as a load would.
    static func doraAdapter(name: String, config: LlamaConfig, kinds: [LinearKind], rank: Int, seed: UInt64,
                            base: LlamaWeights) throws -> LoRAAdapter {
        let plain = adapter(name: name, config: config, kinds: kinds, rank: rank, seed: seed)
        var rng = SplitMix64(seed: seed ^ 0xD0_0A)
        var modules: [LinearID: LoRAModule] = [:]
        for id in plain.modules.keys.sorted() {
            guard let m = plain.modules[id] else { continue }
            modules[id] = LoRAModule(rank: m.rank, inFeatures: m.inFeatures, outFeatures: m.outFeatures, scale: m.scale,
                                     a: m.a, b: m.b, magnitude: (0..<m.outFeatures).map { _ in 0.7 + rng.uniform(0.1) })
        }
        return try LoRAAdapter.dora(name: name, modules: modules, base: base)
    }

    /// The same kind of adapter as PEFT's two files (config JSON + safetensors
    /// bytes), for measuring the cold load path; with `dora`, PEFT's DoRA
    /// layout (`use_dora` and a `lora_magnitude_vector` per module); on
    /// `layers` only (PEFT's `layers_to_transform`) when given.
    static func peftFiles(config: LlamaConfig, kinds: [LinearKind], rank: Int, seed: UInt64,
                          dora: Bool = false, layers: [Int]? = nil) throws -> (config: Data, weights: Data) {
        var rng = SplitMix64(seed: seed)
        var tensors: [(name: String, dtype: DType, shape: [Int], values: [Float])] = []
        for l in layers ?? Array(0..<config.numHiddenLayers) {
            for kind in kinds {
                let s = LlamaWeights.shape(of: kind, config)
                let path = "base_model.model." + LinearID(layer: l, kind: kind).modulePath
                tensors.append((path + ".lora_A.weight", .f32, [rank, s.inFeatures], (0..<(rank * s.inFeatures)).map { _ in rng.uniform(0.05) }))
                tensors.append((path + ".lora_B.weight", .f32, [s.outFeatures, rank], (0..<(s.outFeatures * rank)).map { _ in rng.uniform(0.05) }))
                if dora {
                    tensors.append((path + ".lora_magnitude_vector", .f32, [s.outFeatures], (0..<s.outFeatures).map { _ in 0.7 + rng.uniform(0.1) }))
                }
            }
        }
        let folder = BenchTemporaries.path("lorad-bench-adapter")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { BenchTemporaries.remove(folder) }
        let file = folder.appendingPathComponent("adapter_model.safetensors")
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: file)
        let targets = kinds.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        let json = """
        {"peft_type": "LORA", "r": \(rank), "lora_alpha": \(2 * rank), "target_modules": [\(targets)],
         "bias": "none", "use_dora": \(dora), "use_rslora": false, "fan_in_fan_out": false, "lora_dropout": 0.0\(
            layers.map { ", \"layers_to_transform\": [\($0.map(String.init).joined(separator: ", "))]" } ?? "")}
        """
        return (Data(json.utf8), try Data(contentsOf: file))
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same stream for
/// the same seed on every machine.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-a, a).
    mutating func uniform(_ a: Float) -> Float {
        (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * a
    }
}
