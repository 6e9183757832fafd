import FileReading
import Foundation
import OrderedJSON

extension LlamaConfig {
    /// Reads `config.json` and, if present, `generation_config.json` from a
    /// Hugging Face model folder.
    public init(folder: URL) throws {
        let configPath = folder.appendingPathComponent("config.json").path
        let data: Data
        do { data = try RegularFile.read(configPath, limit: .modelFile) } catch {
            throw LlamaError.unreadableConfig(file: configPath, reason: error.reason)
        }
        try self.init(json: data, file: configPath)
        let genPath = folder.appendingPathComponent("generation_config.json").path
        let gen: Data?
        do { gen = try RegularFile.readIfPresent(genPath, limit: .modelFile) } catch {
            throw LlamaError.unreadableConfig(file: genPath, reason: error.reason)
        }
        if let gen { try applyGenerationConfig(json: gen, file: genPath) }
    }

    /// Decodes config.json bytes. Accepts both layouts in the wild:
    /// transformers 4.x (top-level `rope_theta`, `rope_scaling`, `torch_dtype`)
    /// and 5.x (`rope_parameters: {rope_theta, rope_type, …}`, `dtype`).
    public init(json data: Data, file: String = "config.json") throws {
        do { try self.init(keys: try Self.object(data, file: file)) } catch let error as JSONAccessError {
            throw LlamaError(error)
        }
    }

    private init(keys: JSONNode) throws {
        let family = try Self.family(keys)

        // transformers' ACT2FN maps "swish" to the same SiLU as "silu".
        if let act = try keys.string("hidden_act"), act != "silu", act != "swish" {
            throw LlamaError.unsupportedFeature("hidden_act \"\(act)\" (only silu, also spelled swish)")
        }
        if let tp = try keys.int("pretraining_tp"), tp != 1 {
            // transformers 4.x only; tp > 1 slices the matmuls differently in float.
            throw LlamaError.unsupportedFeature("pretraining_tp = \(tp) (only 1)")
        }
        var biases = family.fixedBiases
        for toggle in family.biasSwitches where try keys.bool(toggle.key) == true {
            biases.formUnion(toggle.kinds)
        }

        // RoPE: 5.x nests theta and type in rope_parameters; 4.x has top-level
        // rope_theta and an optional rope_scaling dict.
        var theta = try keys.double("rope_theta")
        var ropeNode: JSONNode? = nil
        if let params = keys.optional("rope_parameters") {
            _ = try params.members()
            ropeNode = params
            if let t = try params.double("rope_theta") { theta = t }
        }
        if let scaling = keys.optional("rope_scaling") {
            _ = try scaling.members()
            ropeNode = scaling
        }
        let scaling = try Self.ropeScaling(ropeNode)
        // transformers' RoPE rotates int(head_dim × partial_rotary_factor)
        // dimensions of each head (its default rope-parameter computation
        // reads the factor from the config or rope_parameters); lorad rotates
        // all of them, so any other factor would be another model, served
        // without a word.
        for (node, name) in [(keys, "partial_rotary_factor"), (ropeNode, "rope_parameters.partial_rotary_factor")] {
            if let factor = try node?.double("partial_rotary_factor"), factor != 1 {
                throw LlamaError.unsupportedFeature("\(name) = \(factor) (only 1: every dimension of a head rotated)")
            }
        }

        let heads = try keys.dimension("num_attention_heads")
        let hidden = try keys.dimension("hidden_size")
        let layers = try keys.dimension("num_hidden_layers")
        try Self.checkLayerTypes(keys, layers: layers)
        let declaredPositions = try keys.optionalDimension("max_position_embeddings") ?? family.defaultMaxPositionEmbeddings
        let sliding = try Self.slidingAttention(keys, family: family, layers: layers)
        let eos = try keys.intOrList("eos_token_id") ?? []

        try self.init(
            family: family,
            biases: biases,
            hiddenSize: hidden,
            intermediateSize: try keys.dimension("intermediate_size"),
            numHiddenLayers: layers,
            numAttentionHeads: heads,
            // An explicit null means "derive it", as the config classes do
            // (`if num_key_value_heads is None`); an absent key takes the class default.
            numKeyValueHeads: try keys.optionalDimension("num_key_value_heads")
                ?? (keys.isNull("num_key_value_heads") ? heads : family.defaultKeyValueHeads),
            headDim: try keys.optionalDimension("head_dim") ?? (keys.isNull("head_dim") ? nil : family.defaultHeadDim),
            rmsNormEps: Float(try keys.double("rms_norm_eps") ?? ModelFamily.defaultRMSNormEps),
            ropeTheta: theta ?? ModelFamily.defaultRopeTheta,
            ropeScaling: scaling,
            maxPositionEmbeddings: declaredPositions,
            slidingWindow: sliding?.window,
            slidingLayers: sliding?.layers,
            tieWordEmbeddings: try keys.bool("tie_word_embeddings") ?? false,
            vocabSize: try keys.dimension("vocab_size"),
            bosTokenID: try keys.intOrList("bos_token_id")?.first,
            eosTokenIDs: eos,
            dtype: try keys.string("dtype") ?? keys.string("torch_dtype"),
            nameOrPath: try keys.string("_name_or_path"))
    }

    /// The family named by `model_type` (which is what `AutoConfig` goes by)
    /// and, when present, agreed with by every entry of `architectures`. With
    /// no `model_type`, a single known architecture decides.
    private static func family(_ keys: JSONNode) throws -> ModelFamily {
        let architectures = try keys.stringList("architectures") ?? []
        for arch in architectures where ModelFamily.named(architecture: arch) == nil {
            throw LlamaError.unsupportedArchitecture("architectures [\"\(arch)\"]")
        }
        guard let modelType = try keys.string("model_type") else {
            let named = Set(architectures.compactMap { ModelFamily.named(architecture: $0) })
            guard named.count == 1, let only = named.first else {
                throw LlamaError.unsupportedArchitecture("model_type (missing)")
            }
            return only
        }
        guard let family = ModelFamily.named(modelType: modelType) else {
            throw LlamaError.unsupportedArchitecture("model_type \"\(modelType)\"")
        }
        for arch in architectures where arch != family.architecture {
            throw LlamaError.invalidValue(key: "architectures",
                reason: "names \(arch), but model_type \"\(modelType)\" is \(family.architecture)")
        }
        return family
    }

    /// transformers 5 writes `layer_types` (one entry per layer):
    /// "full_attention" or "sliding_attention" (read by
    /// `slidingAttention`). Any other layer type is another architecture.
    private static func checkLayerTypes(_ keys: JSONNode, layers: Int) throws {
        guard let types = try keys.stringList("layer_types") else { return }
        guard types.count == layers else {
            throw LlamaError.invalidValue(key: "layer_types",
                reason: "has \(types.count) entries for num_hidden_layers \(layers)")
        }
        if let other = types.first(where: { $0 != "full_attention" && $0 != "sliding_attention" }) {
            throw LlamaError.unsupportedFeature("layer_types entry \"\(other)\" (only full_attention and sliding_attention)")
        }
    }

    /// The sliding window and the layers it applies to, per the family's
    /// rule (`ModelFamily.SlidingWindowRule`); nil when no layer slides.
    /// A window that could bind nowhere is dropped later, against the context.
    private static func slidingAttention(_ keys: JSONNode, family: ModelFamily, layers: Int) throws
        -> (window: Int, layers: Set<Int>)? {
        /// `sliding_window`: an integer, null for none, `fallback` when absent.
        func window(fallback: Int?) throws -> Int? {
            let window = try keys.int("sliding_window") ?? (keys.isNull("sliding_window") ? nil : fallback)
            if let window, window <= 0 {
                throw LlamaError.invalidValue(key: "sliding_window", reason: "must be positive or null, got \(window)")
            }
            return window
        }
        let marked = try keys.stringList("layer_types").map { types in
            Set(types.indices.filter { types[$0] == "sliding_attention" })
        }
        switch family.slidingWindow {
        case .none:
            return nil
        case .everyLayer(let defaultWindow):
            return try window(fallback: defaultWindow).map { ($0, Set(0..<layers)) }
        case .switched(let switchKey, let defaultWindow, let defaultMaxWindowLayers):
            let on = try keys.bool(switchKey) ?? false
            guard on, let size = try window(fallback: defaultWindow) else {
                // transformers sets sliding_window to None here; a layer
                // marked sliding would have no window to slide.
                if let marked, let first = marked.min() {
                    throw LlamaError.invalidValue(key: "layer_types",
                        reason: "marks layer \(first) sliding_attention, but \(on ? "sliding_window is null" : "\(switchKey) is not true")")
                }
                return nil
            }
            if let marked { return marked.isEmpty ? nil : (size, marked) }
            let from = try keys.int("max_window_layers") ?? defaultMaxWindowLayers
            guard from >= 0 else {
                throw LlamaError.invalidValue(key: "max_window_layers", reason: "must be ≥ 0, got \(from)")
            }
            return from < layers ? (size, Set(from..<layers)) : nil
        }
    }

    /// generation_config.json's `eos_token_id` (int or list) replaces the
    /// config's, as `GenerationConfig` does in `generate`; its sampling
    /// defaults become `samplingDefaults`, each checked against the range a
    /// request's field has (a value no request could send is refused, naming
    /// the key, rather than sampled with).
    public mutating func applyGenerationConfig(json data: Data, file: String = "generation_config.json") throws {
        let keys = JSONNode(try Self.object(data, file: file).value, path: "generation_config")
        let eos: [Int]?, bos: Int?
        do {
            eos = try keys.intOrList("eos_token_id")
            bos = try keys.intOrList("bos_token_id")?.first
            samplingDefaults = SamplingDefaults(
                temperature: try keys.double("temperature", in: 0...100),
                topP: try Self.positive(keys, "top_p", atMost: 1),
                // transformers' top_k 0 (and vLLM's -1) is no top-k.
                topK: try keys.int("top_k", in: -1...Int.max).map { max(0, $0) },
                minP: try keys.double("min_p", in: 0...1),
                repetitionPenalty: try Self.positive(keys, "repetition_penalty", atMost: 100),
                maxNewTokens: try keys.int("max_new_tokens", in: 1...Int.max))
        } catch let error as JSONAccessError {
            throw LlamaError(error)
        }
        for id in (eos ?? []) + (bos.map { [$0] } ?? []) where id < 0 || id >= vocabSize {
            throw LlamaError.invalidValue(key: "generation_config.eos_token_id/bos_token_id",
                reason: "id \(id) is outside the vocabulary (vocab_size \(vocabSize))")
        }
        if let eos { eosTokenIDs = eos }
        if let bos { bosTokenID = bos }
    }

    /// `key` when present: a number in (0, `atMost`].
    private static func positive(_ keys: JSONNode, _ key: String, atMost limit: Double) throws -> Double? {
        guard let node = keys.optional(key) else { return nil }
        let value = try node.double()
        guard value > 0, value <= limit else { throw node.mismatch("a number in (0, \(limit)]") }
        return value
    }

    /// The document's root object. Python's json writes NaN/Infinity for
    /// non-finite floats, so they parse here (and are then refused by the
    /// fields that need finite numbers, by name). A repeated key is refused:
    /// Python's json keeps the last occurrence, other readers the first, and
    /// the served model must not depend on which.
    private static func object(_ data: Data, file: String) throws -> JSONNode {
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(data, options: JSONParseOptions(maxDepth: 64, allowNonFiniteNumbers: true, rejectDuplicateKeys: true)) } catch {
            throw LlamaError.unreadableConfig(file: file, reason: "not valid JSON (\(error))")
        }
        guard case .object = parsed else {
            throw LlamaError.unreadableConfig(file: file, reason: "top level is not a JSON object")
        }
        return JSONNode(parsed)
    }

    /// `rope_type` (or the 4.x spelling `type`): default, or llama3; anything
    /// else changes the model and is refused by name.
    private static func ropeScaling(_ keys: JSONNode?) throws -> RoPEScaling {
        guard let keys else { return .none }
        let type = try keys.string("rope_type") ?? keys.string("type") ?? "default"
        switch type {
        case "default":
            return .none
        case "llama3":
            guard let factor = try keys.double("factor"),
                  let low = try keys.double("low_freq_factor"),
                  let high = try keys.double("high_freq_factor"),
                  let original = try keys.optionalDimension("original_max_position_embeddings") else {
                throw LlamaError.invalidValue(key: keys.path,
                    reason: "llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
            }
            guard factor > 0, high > low, original > 0 else {
                throw LlamaError.invalidValue(key: keys.path, reason: "llama3 parameters out of range")
            }
            return .llama3(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high,
                           originalMaxPositionEmbeddings: original)
        default:
            throw LlamaError.unsupportedFeature("rope scaling type \"\(type)\" (only default and llama3)")
        }
    }
}
