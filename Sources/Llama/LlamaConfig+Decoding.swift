import Foundation

extension LlamaConfig {
    /// Reads `config.json` and, if present, `generation_config.json` from a
    /// Hugging Face model folder.
    public init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: configURL) } catch {
            throw LlamaError.unreadableConfig(file: configURL.path, reason: "\(error.localizedDescription)")
        }
        try self.init(json: data, file: configURL.path)
        let genURL = folder.appendingPathComponent("generation_config.json")
        if FileManager.default.fileExists(atPath: genURL.path) {
            let gen: Data
            do { gen = try Data(contentsOf: genURL) } catch {
                throw LlamaError.unreadableConfig(file: genURL.path, reason: "\(error.localizedDescription)")
            }
            try applyGenerationConfig(json: gen, file: genURL.path)
        }
    }

    /// Decodes config.json bytes. Accepts both layouts in the wild:
    /// transformers 4.x (top-level `rope_theta`, `rope_scaling`, `torch_dtype`)
    /// and 5.x (`rope_parameters: {rope_theta, rope_type, …}`, `dtype`).
    public init(json data: Data, file: String = "config.json") throws {
        let dict = try Self.object(data, file: file)
        let keys = JSONKeys(dict)

        // Architecture: refuse anything that is not computed by this forward pass.
        let modelType = try keys.string("model_type")
        if let archs = try keys.stringList("architectures") {
            for arch in archs where !["LlamaForCausalLM", "MistralForCausalLM"].contains(arch) {
                throw LlamaError.unsupportedArchitecture(arch)
            }
        }
        guard let modelType, ["llama", "mistral"].contains(modelType) else {
            throw LlamaError.unsupportedArchitecture("model_type \(keys.raw("model_type") ?? "(missing)")")
        }

        // Features the Llama forward here does not compute.
        if try keys.bool("attention_bias") == true {
            throw LlamaError.unsupportedFeature("attention_bias = true (q/k/v/o projections with bias)")
        }
        if try keys.bool("mlp_bias") == true {
            throw LlamaError.unsupportedFeature("mlp_bias = true (MLP projections with bias)")
        }
        if let act = try keys.string("hidden_act"), act != "silu" {
            throw LlamaError.unsupportedFeature("hidden_act \"\(act)\" (only silu)")
        }
        if let tp = try keys.int("pretraining_tp"), tp != 1 {
            // transformers 4.x only; tp > 1 slices the matmuls differently in float.
            throw LlamaError.unsupportedFeature("pretraining_tp = \(tp) (only 1)")
        }

        // RoPE: 5.x nests theta and type in rope_parameters; 4.x has top-level
        // rope_theta and an optional rope_scaling dict.
        var theta = try keys.double("rope_theta")
        var ropeDict: [String: Any]? = nil
        if let params = try keys.object("rope_parameters") {
            ropeDict = params
            if let t = try JSONKeys(params, prefix: "rope_parameters.").double("rope_theta") { theta = t }
        }
        if let scaling = try keys.object("rope_scaling") {
            ropeDict = scaling
        }
        let scaling = try Self.ropeScaling(ropeDict)

        let heads = try keys.requiredInt("num_attention_heads")
        let hidden = try keys.requiredInt("hidden_size")
        var maxPositions = try keys.int("max_position_embeddings") ?? 2048
        if modelType == "mistral", let window = try keys.int("sliding_window"), window > 0,
           window < maxPositions {
            // Sliding-window attention equals full attention while the whole
            // sequence fits in the window; capping the context keeps us exact.
            maxPositions = window
        }
        let eos = try keys.intOrList("eos_token_id") ?? []

        try self.init(
            modelType: modelType,
            hiddenSize: hidden,
            intermediateSize: try keys.requiredInt("intermediate_size"),
            numHiddenLayers: try keys.requiredInt("num_hidden_layers"),
            numAttentionHeads: heads,
            numKeyValueHeads: try keys.int("num_key_value_heads"),
            headDim: try keys.int("head_dim"),
            // transformers' LlamaConfig default is 1e-6.
            rmsNormEps: Float(try keys.double("rms_norm_eps") ?? 1e-6),
            ropeTheta: theta ?? 10000,
            ropeScaling: scaling,
            maxPositionEmbeddings: maxPositions,
            tieWordEmbeddings: try keys.bool("tie_word_embeddings") ?? false,
            vocabSize: try keys.requiredInt("vocab_size"),
            bosTokenID: try keys.intOrList("bos_token_id")?.first,
            eosTokenIDs: eos,
            dtype: try keys.string("dtype") ?? keys.string("torch_dtype"))
    }

    /// generation_config.json's `eos_token_id` (int or list) replaces the
    /// config's, as `GenerationConfig` does in `generate`.
    public mutating func applyGenerationConfig(json data: Data, file: String = "generation_config.json") throws {
        let keys = JSONKeys(try Self.object(data, file: file), prefix: "generation_config.")
        let eos = try keys.intOrList("eos_token_id")
        let bos = try keys.intOrList("bos_token_id")?.first
        for id in (eos ?? []) + (bos.map { [$0] } ?? []) where id < 0 || id >= vocabSize {
            throw LlamaError.invalidValue(key: "generation_config.eos_token_id/bos_token_id",
                reason: "id \(id) is outside the vocabulary (vocab_size \(vocabSize))")
        }
        if let eos { eosTokenIDs = eos }
        if let bos { bosTokenID = bos }
    }

    private static func object(_ data: Data, file: String) throws -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw LlamaError.unreadableConfig(file: file, reason: "not valid JSON")
        }
        guard let dict = parsed as? [String: Any] else {
            throw LlamaError.unreadableConfig(file: file, reason: "top level is not a JSON object")
        }
        return dict
    }

    /// `rope_type` (or the 4.x spelling `type`): default, or llama3; anything
    /// else changes the model and is refused by name.
    private static func ropeScaling(_ dict: [String: Any]?) throws -> RoPEScaling {
        guard let dict else { return .none }
        let keys = JSONKeys(dict, prefix: "rope_scaling.")
        let type = try keys.string("rope_type") ?? keys.string("type") ?? "default"
        switch type {
        case "default":
            return .none
        case "llama3":
            guard let factor = try keys.double("factor"),
                  let low = try keys.double("low_freq_factor"),
                  let high = try keys.double("high_freq_factor"),
                  let original = try keys.int("original_max_position_embeddings") else {
                throw LlamaError.invalidValue(key: "rope_scaling",
                    reason: "llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
            }
            guard factor > 0, high > low, original > 0 else {
                throw LlamaError.invalidValue(key: "rope_scaling", reason: "llama3 parameters out of range")
            }
            return .llama3(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high,
                           originalMaxPositionEmbeddings: original)
        default:
            throw LlamaError.unsupportedFeature("rope scaling type \"\(type)\" (only default and llama3)")
        }
    }
}
