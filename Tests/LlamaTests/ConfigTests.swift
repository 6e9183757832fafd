import Foundation
import Testing
import TestSupport
@testable import Llama

@Suite struct ConfigTests {
    func decode(_ json: String) throws -> LlamaConfig {
        try LlamaConfig(json: Data(json.utf8))
    }

    /// transformers 5.x layout: rope_parameters, dtype.
    let v5 = """
    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 576,
     "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
     "num_key_value_heads": 3, "rms_norm_eps": 1e-05, "max_position_embeddings": 8192,
     "rope_parameters": {"rope_theta": 100000.0, "rope_type": "default"},
     "tie_word_embeddings": true, "vocab_size": 49152, "bos_token_id": 1, "eos_token_id": 2,
     "dtype": "bfloat16", "attention_bias": false, "mlp_bias": false, "hidden_act": "silu", "head_dim": 64}
    """

    /// transformers 4.x layout: top-level rope_theta, rope_scaling null, torch_dtype,
    /// eos list, no head_dim, no num_key_value_heads.
    let v4 = """
    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
     "intermediate_size": 5632, "num_hidden_layers": 22, "num_attention_heads": 32,
     "rms_norm_eps": 1e-05, "max_position_embeddings": 2048, "rope_theta": 10000.0,
     "rope_scaling": null, "tie_word_embeddings": false, "vocab_size": 32000,
     "bos_token_id": 1, "eos_token_id": [2, 7], "torch_dtype": "float16", "pretraining_tp": 1}
    """

    @Test func transformers5LayoutIsDecoded() throws {
        let c = try decode(v5)
        #expect(c.hiddenSize == 576 && c.intermediateSize == 1536 && c.numHiddenLayers == 30)
        #expect(c.numAttentionHeads == 9 && c.numKeyValueHeads == 3 && c.headDim == 64)
        #expect(c.ropeTheta == 100000 && c.ropeScaling == .none)
        #expect(c.tieWordEmbeddings && c.vocabSize == 49152 && c.maxPositionEmbeddings == 8192)
        #expect(c.bosTokenID == 1 && c.eosTokenIDs == [2] && c.dtype == "bfloat16")
        #expect(c.rmsNormEps == 1e-5)
    }

    @Test func transformers4LayoutIsDecodedWithDefaults() throws {
        let c = try decode(v4)
        #expect(c.numKeyValueHeads == 32)           // default: num_attention_heads
        #expect(c.headDim == 64)                    // default: hidden / heads
        #expect(c.ropeTheta == 10000 && c.ropeScaling == .none)
        #expect(c.eosTokenIDs == [2, 7] && c.dtype == "float16" && !c.tieWordEmbeddings)
    }

    @Test func bothFixtureFoldersDecodeToTheSameModel() throws {
        // tiny-llama is written in the 4.x layout, tiny-llama-bf16 in the 5.x one.
        var f32 = try LlamaConfig(folder: Fixtures.tinyLlama)
        let bf16 = try LlamaConfig(folder: Fixtures.tinyLlamaBF16)
        #expect(f32.hiddenSize == 128 && f32.numKeyValueHeads == 2 && f32.headDim == 32)
        #expect(f32.eosTokenIDs == [2047] && f32.bosTokenID == 2046)
        f32.dtype = bf16.dtype
        #expect(f32 == bf16)
    }

    @Test func generationConfigEosReplacesTheConfigs() throws {
        var c = try decode(v4)
        let error = #expect(throws: LlamaError.self) {   // 128001 is outside vocab 32000
            try c.applyGenerationConfig(json: Data(#"{"eos_token_id": [128001, 9], "bos_token_id": 1}"#.utf8))
        }
        #expect(error?.description.contains("generation_config") == true)
        #expect(c.eosTokenIDs == [2, 7])
        try c.applyGenerationConfig(json: Data(#"{"eos_token_id": 9}"#.utf8))
        #expect(c.eosTokenIDs == [9])
    }

    /// The sampling keys vLLM takes from generation_config.json as request
    /// defaults; each in the range a request's field has.
    @Test func generationConfigSamplingKeysBecomeTheDefaults() throws {
        var c = try decode(v4)
        #expect(c.samplingDefaults.isEmpty)
        try c.applyGenerationConfig(json: Data(#"""
            {"do_sample": true, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "min_p": 0.05,
             "repetition_penalty": 1.05, "max_new_tokens": 512, "eos_token_id": 9}
            """#.utf8))
        #expect(c.samplingDefaults == SamplingDefaults(temperature: 0.7, topP: 0.8, topK: 20, minP: 0.05,
                                                       repetitionPenalty: 1.05, maxNewTokens: 512))
        try c.applyGenerationConfig(json: Data(#"{"top_k": 0, "temperature": null}"#.utf8))
        #expect(c.samplingDefaults == SamplingDefaults(topK: 0))
        for (bad, key) in [(#"{"temperature": -1}"#, "temperature"), (#"{"top_p": 0}"#, "top_p"), (#"{"top_p": 1.5}"#, "top_p"),
                           (#"{"repetition_penalty": 0}"#, "repetition_penalty"), (#"{"min_p": 2}"#, "min_p"),
                           (#"{"max_new_tokens": 0}"#, "max_new_tokens"), (#"{"top_k": "x"}"#, "top_k")] {
            let error = #expect(throws: LlamaError.self) { try c.applyGenerationConfig(json: Data(bad.utf8)) }
            #expect(error?.description.contains("generation_config.\(key)") == true, "\(bad): \(String(describing: error))")
        }
    }

    @Test func mistralWithoutASlidingWindowIsAccepted() throws {
        let json = v4.replacingOccurrences(of: #"["LlamaForCausalLM"]"#, with: #"["MistralForCausalLM"]"#)
            .replacingOccurrences(of: #""model_type": "llama""#, with: #""model_type": "mistral", "sliding_window": null"#)
        let c = try decode(json)
        #expect(c.modelType == "mistral" && c.maxPositionEmbeddings == 2048)
        let windowed = try decode(json.replacingOccurrences(of: #""sliding_window": null"#, with: #""sliding_window": 1024"#))
        #expect(windowed.maxPositionEmbeddings == 2048 && windowed.slidingWindow == 1024)
        #expect(windowed.slidingLayers == Set(0..<windowed.numHiddenLayers))
    }

    @Test func unknownArchitecturesAreRefusedByName() throws {
        let json = v5.replacingOccurrences(of: "LlamaForCausalLM", with: "GemmaForCausalLM")
        #expect(throws: LlamaError.unsupportedArchitecture("architectures [\"GemmaForCausalLM\"]")) { try decode(json) }
        let json2 = v5.replacingOccurrences(of: #""model_type": "llama""#, with: #""model_type": "gemma""#)
        let error = #expect(throws: LlamaError.self) { try decode(json2) }
        #expect(error?.description.contains("model_type \"gemma\"") == true)
        #expect(error?.description.contains("Qwen3ForCausalLM (qwen3)") == true, "the refusal lists what is served")
    }

    /// AutoConfig goes by model_type; an `architectures` entry of another
    /// family means the config is not what it claims.
    @Test func architecturesMustAgreeWithModelType() throws {
        let json = v5.replacingOccurrences(of: "LlamaForCausalLM", with: "Qwen2ForCausalLM")
        let error = #expect(throws: LlamaError.self) { try decode(json) }
        #expect(error?.description.contains("architectures") == true)
        #expect(error?.description.contains("Qwen2ForCausalLM") == true && error?.description.contains("llama") == true)
        // Without model_type, one known architecture decides.
        let untyped = v5.replacingOccurrences(of: #""model_type": "llama","#, with: "")
        #expect(try decode(untyped).family == .llama)
    }

    /// Llama's bias switches are data: attention_bias gives q, k, v and o a
    /// bias (transformers `LlamaAttention`), mlp_bias the three MLP projections.
    @Test func llamaBiasSwitchesSelectTheBiasedProjections() throws {
        #expect(try decode(v5).biases.isEmpty)
        let attention = try decode(v5.replacingOccurrences(of: #""attention_bias": false"#, with: #""attention_bias": true"#))
        #expect(attention.biases == [.q, .k, .v, .o])
        let mlp = try decode(v5.replacingOccurrences(of: #""mlp_bias": false"#, with: #""mlp_bias": true"#))
        #expect(mlp.biases == [.gate, .up, .down])
    }

    @Test(arguments: [
        (#""hidden_act": "silu""#, #""hidden_act": "gelu""#, "gelu"),
        (#""rope_type": "default""#, #""rope_type": "yarn", "factor": 4.0"#, "yarn"),
        (#""rope_type": "default""#, #""rope_type": "linear", "factor": 2.0"#, "linear"),
        (#""rope_type": "default""#, #""rope_type": "default", "partial_rotary_factor": 0.5"#, "rope_parameters.partial_rotary_factor = 0.5"),
        (#""hidden_act": "silu""#, #""hidden_act": "silu", "partial_rotary_factor": 0.25"#, "partial_rotary_factor = 0.25"),
    ])
    func unsupportedFeaturesAreRefusedByName(original: String, replacement: String, named: String) throws {
        let json = v5.replacingOccurrences(of: original, with: replacement)
        #expect(json != v5)
        let error = #expect(throws: LlamaError.self) { try decode(json) }
        #expect(error?.description.contains(named) == true, "\(String(describing: error))")
    }

    /// transformers' ACT2FN has "swish" for the same SiLU.
    @Test func swishIsSiLUUnderItsOtherName() throws {
        let swish = try decode(v5.replacingOccurrences(of: #""hidden_act": "silu""#, with: #""hidden_act": "swish""#))
        #expect(swish == (try decode(v5)))
    }

    @Test func transformers4RopeScalingIsRefusedByType() throws {
        let json = v4.replacingOccurrences(of: #""rope_scaling": null"#,
                                           with: #""rope_scaling": {"type": "dynamic", "factor": 2.0}"#)
        #expect(throws: LlamaError.unsupportedFeature("rope scaling type \"dynamic\" (only default and llama3)")) {
            try decode(json)
        }
    }

    @Test func missingAndMistypedKeysAreNamed() throws {
        #expect(throws: LlamaError.missingKey("intermediate_size")) {
            try decode(v5.replacingOccurrences(of: #""intermediate_size": 1536,"#, with: ""))
        }
        #expect(throws: LlamaError.self) {
            try decode(v5.replacingOccurrences(of: #""hidden_size": 576"#, with: #""hidden_size": "576""#))
        }
        #expect(throws: LlamaError.self) {
            try decode(v5.replacingOccurrences(of: #""num_key_value_heads": 3"#, with: #""num_key_value_heads": 4"#))
        }
        #expect(throws: LlamaError.self) { try decode("[1, 2]") }
        #expect(throws: LlamaError.self) { try decode("{not json") }
    }

    /// Every wrong value is reported by its path in the document, nested keys
    /// included, so the message points at the line to fix.
    @Test func mistypedValuesAreNamedByTheirPath() throws {
        #expect(throws: LlamaError.invalidValue(key: "hidden_size", reason: #"must be an integer, got "576""#)) {
            try decode(v5.replacingOccurrences(of: #""hidden_size": 576"#, with: #""hidden_size": "576""#))
        }
        #expect(throws: LlamaError.invalidValue(key: "rope_parameters.rope_theta", reason: #"must be a finite number, got "1e5""#)) {
            try decode(v5.replacingOccurrences(of: #""rope_theta": 100000.0"#, with: #""rope_theta": "1e5""#))
        }
        #expect(throws: LlamaError.invalidValue(key: "eos_token_id[1]", reason: #"must be an integer, got "7""#)) {
            try decode(v4.replacingOccurrences(of: #""eos_token_id": [2, 7]"#, with: #""eos_token_id": [2, "7"]"#))
        }
    }

    /// Dimensions are bounded before any product of them is formed: a config
    /// announcing a 2^40-wide model is refused by name instead of trapping
    /// (or allocating) later.
    @Test(arguments: ["hidden_size", "intermediate_size", "num_hidden_layers", "vocab_size"])
    func absurdDimensionsAreRefusedByName(key: String) throws {
        let json = try #require(try? JSONSerialization.jsonObject(with: Data(v5.utf8)) as? [String: Any])
        var edited = json
        edited[key] = 1 << 40
        let data = try JSONSerialization.data(withJSONObject: edited)
        do {
            _ = try LlamaConfig(json: data)
            Issue.record("a \(key) of 2^40 was accepted")
        } catch let LlamaError.invalidValue(named, _) {
            #expect(named == key)
        }
    }

    /// A key written twice is ambiguous (Python's json keeps the last, other
    /// readers the first); the config is refused naming the key.
    @Test func aDuplicateKeyIsRefusedByName() throws {
        let json = v5.replacingOccurrences(of: #""hidden_size": 576,"#, with: #""hidden_size": 576, "hidden_size": 640,"#)
        do {
            _ = try decode(json)
            Issue.record("a duplicated hidden_size was accepted")
        } catch let LlamaError.unreadableConfig(_, reason) {
            #expect(reason.contains("hidden_size"))
        }
    }

    /// Llama 3.1/3.2's rope_scaling, checked against the values transformers'
    /// `_compute_llama3_parameters` gives for head_dim 64, theta 500000,
    /// factor 32, low 1, high 4, original 8192 (computed once with the
    /// formula in numpy, float32).
    @Test func llama3RopeScalingAdjustsTheFrequencyBands() throws {
        let json = v5.replacingOccurrences(of: #""rope_theta": 100000.0, "rope_type": "default""#, with: """
            "rope_theta": 500000.0, "rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192
            """)
        let c = try decode(json)
        let inv = c.ropeInverseFrequencies
        let base = (0..<32).map { 1 / pow(500000.0, Double(2 * $0) / 64) }
        // Short wavelengths (< 8192/4 = 2048) are untouched, long ones (> 8192) divided by 32.
        for i in 0..<32 {
            let wavelen = 2 * Double.pi / base[i]
            if wavelen < 2048 { #expect(abs(Double(inv[i]) - base[i]) / base[i] < 1e-5) }
            if wavelen > 8192 { #expect(abs(Double(inv[i]) - base[i] / 32) / (base[i] / 32) < 1e-5) }
            if wavelen >= 2048 && wavelen <= 8192 {
                let smooth = (8192 / wavelen - 1) / 3
                let expected = (1 - smooth) * base[i] / 32 + smooth * base[i]
                #expect(abs(Double(inv[i]) - expected) / expected < 1e-4)
            }
        }
    }
}
