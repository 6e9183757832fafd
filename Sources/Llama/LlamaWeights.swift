import LoRA

/// The frozen base weights of a Llama-family model, converted to F32 and
/// copied into process memory (PERF-NOTES: copied weights beat mmap by 5–17 %),
/// in the fused layout of `LlamaLayerWeights`.
///
/// Immutable after init and shared by reference; a live merge (later) rewrites
/// projection rows in place from the engine thread only, see `WeightBuffer`.
public final class LlamaWeights: Sendable {
    public let config: LlamaConfig
    /// model.embed_tokens.weight: (vocab, H)
    public let embedTokens: WeightBuffer
    public let layers: [LlamaLayerWeights]
    /// model.norm.weight: (H)
    public let norm: WeightBuffer
    /// lm_head.weight: (vocab, H) — the same buffer as `embedTokens` when
    /// `tie_word_embeddings` is true.
    public let lmHead: WeightBuffer

    /// Builds the weights from named tensors (checkpoint tensor names such as
    /// `model.layers.0.self_attn.q_proj.weight`). `tensor` returns nil for a
    /// name it does not have. Every shape is checked against the config.
    ///
    /// This is also how in-memory models (benchmarks, tests) are built.
    public init(config: LlamaConfig, tensor: (String) throws -> TensorValues?) throws {
        let h = config.hiddenSize, q = config.queryDim, kv = config.keyValueDim
        let inter = config.intermediateSize, vocab = config.vocabSize

        /// Copies tensor `name` of shape `shape` into `buffer` at element `offset`.
        func load(_ name: String, _ shape: [Int], into buffer: WeightBuffer, at offset: Int = 0) throws {
            guard let t = try tensor(name) else { throw LlamaError.missingTensor(name) }
            guard t.shape == shape else {
                throw LlamaError.shapeMismatch(tensor: name, expected: shape, found: t.shape)
            }
            let n = shape.reduce(1, *)
            guard t.values.count == n else {
                throw LlamaError.unreadableTensor(tensor: name,
                    reason: "holds \(t.values.count) values, its shape \(shape) needs \(n)")
            }
            t.values.withUnsafeBufferPointer { (buffer.pointer + offset).update(from: $0.baseAddress!, count: n) }
        }
        func single(_ name: String, _ shape: [Int]) throws -> WeightBuffer {
            let b = WeightBuffer(count: shape.reduce(1, *))
            try load(name, shape, into: b)
            return b
        }

        embedTokens = try single("model.embed_tokens.weight", [vocab, h])
        var layers: [LlamaLayerWeights] = []
        layers.reserveCapacity(config.numHiddenLayers)
        for l in 0..<config.numHiddenLayers {
            let p = "model.layers.\(l)."
            let qkv = WeightBuffer(count: (q + 2 * kv) * h)
            try load(p + "self_attn.q_proj.weight", [q, h], into: qkv)
            try load(p + "self_attn.k_proj.weight", [kv, h], into: qkv, at: q * h)
            try load(p + "self_attn.v_proj.weight", [kv, h], into: qkv, at: (q + kv) * h)
            let gateUp = WeightBuffer(count: 2 * inter * h)
            try load(p + "mlp.gate_proj.weight", [inter, h], into: gateUp)
            try load(p + "mlp.up_proj.weight", [inter, h], into: gateUp, at: inter * h)
            layers.append(LlamaLayerWeights(
                inputNorm: try single(p + "input_layernorm.weight", [h]),
                qkv: qkv,
                o: try single(p + "self_attn.o_proj.weight", [h, q]),
                postNorm: try single(p + "post_attention_layernorm.weight", [h]),
                gateUp: gateUp,
                down: try single(p + "mlp.down_proj.weight", [h, inter])))
        }
        self.layers = layers
        norm = try single("model.norm.weight", [h])
        // transformers ties lm_head to embed_tokens when tie_word_embeddings is
        // set, ignoring any saved lm_head.weight (PreTrainedModel.tie_weights).
        lmHead = config.tieWordEmbeddings ? embedTokens : try single("lm_head.weight", [vocab, h])
        self.config = config
    }

    /// Every linear LoRA can target → its (out, in) shape, for adapter validation.
    public var linearShapes: [LinearID: LinearShape] {
        var shapes: [LinearID: LinearShape] = [:]
        for l in 0..<config.numHiddenLayers {
            for kind in LinearKind.allCases {
                shapes[LinearID(layer: l, kind: kind)] = Self.shape(of: kind, config)
            }
        }
        return shapes
    }

    /// The (out, in) shape of a projection kind under `config`.
    public static func shape(of kind: LinearKind, _ config: LlamaConfig) -> LinearShape {
        let h = config.hiddenSize
        switch kind {
        case .q: return LinearShape(outFeatures: config.queryDim, inFeatures: h)
        case .k, .v: return LinearShape(outFeatures: config.keyValueDim, inFeatures: h)
        case .o: return LinearShape(outFeatures: h, inFeatures: config.queryDim)
        case .gate, .up: return LinearShape(outFeatures: config.intermediateSize, inFeatures: h)
        case .down: return LinearShape(outFeatures: h, inFeatures: config.intermediateSize)
        }
    }

    /// Row offset of a projection inside its fused buffer (q/k/v in `qkv`,
    /// gate/up in `gateUp`). This is also the column offset of its output
    /// inside the fused activation row.
    public static func rowOffset(of kind: LinearKind, _ config: LlamaConfig) -> Int {
        switch kind {
        case .q, .o, .gate, .down: return 0
        case .k: return config.queryDim
        case .v: return config.queryDim + config.keyValueDim
        case .up: return config.intermediateSize
        }
    }

    /// W0 of one projection, or nil if the layer index is out of range.
    public func linear(_ id: LinearID) -> LinearWeight? {
        guard id.layer >= 0, id.layer < layers.count else { return nil }
        let layer = layers[id.layer]
        let buffer: WeightBuffer
        switch id.kind {
        case .q, .k, .v: buffer = layer.qkv
        case .o: buffer = layer.o
        case .gate, .up: buffer = layer.gateUp
        case .down: buffer = layer.down
        }
        return LinearWeight(buffer: buffer, rowOffset: Self.rowOffset(of: id.kind, config),
                            shape: Self.shape(of: id.kind, config))
    }

    /// Bytes of F32 weights read per decoded token (every matrix once;
    /// embeddings are one row, the lm_head is whole): the numerator of the
    /// bandwidth bound tokens/s = bandwidth ÷ this.
    public var bytesReadPerToken: Int {
        var n = lmHead.count + norm.count
        for l in layers {
            n += l.inputNorm.count + l.qkv.count + l.o.count + l.postNorm.count + l.gateUp.count + l.down.count
        }
        return n * MemoryLayout<Float>.stride
    }
}
