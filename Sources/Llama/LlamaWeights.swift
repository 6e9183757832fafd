import Kernels
import LoRA

/// The frozen base weights of a Llama-shaped model (any `ModelFamily`),
/// copied into process memory (peer engines ran 5–17 % faster from copied
/// weights than straight from an mmapped file), in the fused layout of
/// `LlamaLayerWeights`.
///
/// The matrices (embeddings, projections, lm_head) are resident in `format`:
/// F32, or BF16/F16 (half the bytes, so half the memory and half the
/// traffic of a decode step, which streams every matrix once). Norms and
/// biases stay F32 whatever the format.
///
/// Shared by reference and read-only to every request. The one writer is a
/// live merge (`LiveMerge`, `PUT /merged`): it folds an adapter mix into the
/// projection rows in place and later copies W0 back bit for bit, from the
/// engine thread only and between two steps, see `WeightBuffer`.
public final class LlamaWeights: Sendable {
    public let config: LlamaConfig
    /// The element format of the matrices (norms and biases are F32).
    public let format: WeightFormat
    /// model.embed_tokens.weight: (vocab, H)
    public let embedTokens: WeightBuffer
    public let layers: [LlamaLayerWeights]
    /// model.norm.weight: (H)
    public let norm: WeightBuffer
    /// lm_head.weight: (vocab, H) — the same buffer as `embedTokens` when
    /// `tie_word_embeddings` is true.
    public let lmHead: WeightBuffer
    /// What a live merge changed, and the lock it writes under.
    public let unmerged = UnmergedWeights()

    /// Builds the weights from named tensors (checkpoint tensor names such as
    /// `model.layers.0.self_attn.q_proj.weight`). `tensor` returns nil for a
    /// name it does not have. Every shape is checked against the config.
    ///
    /// The matrices are stored in `format`, rounding to nearest even where it
    /// is narrower than the tensor (a BF16 or F16 tensor stored in its own
    /// format round-trips exactly: its F32 values are representable); norms
    /// and biases are stored as F32 holding values rounded the same way.
    ///
    /// The matrices live in one `WeightArena` on `pages` (2 MiB pages by
    /// default: a decode step streams them all); norms and biases, a few KiB
    /// each, are ordinary allocations.
    ///
    /// This is also how in-memory models (benchmarks, tests) are built.
    public init(config: LlamaConfig, format: WeightFormat = .f32, pages: WeightPages = .huge,
                tensor: (String) throws -> TensorValues?) throws {
        let h = config.hiddenSize, q = config.queryDim, kv = config.keyValueDim
        let inter = config.intermediateSize, vocab = config.vocabSize
        let arena = WeightArena(pages: pages)

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
            // A NaN or infinity in a weight is a broken checkpoint. Served, a
            // NaN in q or k vanishes in attention's masked softmax and the
            // model answers finite, wrong text; elsewhere it surfaces as
            // non-finite logits blamed on the request. Refused here, by name.
            if let bad = Self.firstNonFinite(t.values) {
                let at = shape.count == 2 ? "row \(bad / shape[1]), column \(bad % shape[1])" : "element \(bad)"
                throw LlamaError.unreadableTensor(tensor: name, reason: "holds \(t.values[bad]) at \(at) "
                    + "(a NaN or infinite weight: the checkpoint is damaged)")
            }
            // Norms and biases stay F32 but hold the values the model's
            // format gives them, as `model.to(dtype)` rounds every parameter:
            // an F32 checkpoint served as BF16 is the BF16 checkpoint. A
            // finite value the format can only hold as ±infinity (F16 past
            // ±65504) refuses the load rather than serve another model.
            let (values, roundedOver) = buffer.format == format ? (t.values, 0) : format.rounded(t.values)
            let overflowed = roundedOver + buffer.store(values, at: offset)
            guard overflowed == 0 else {
                throw LlamaError.outsideFormatRange(tensor: name, format: format.rawValue, values: overflowed)
            }
        }
        /// An F32 vector (norms).
        func single(_ name: String, _ shape: [Int]) throws -> WeightBuffer {
            let b = WeightBuffer(count: shape.reduce(1, *))
            try load(name, shape, into: b)
            return b
        }
        /// A matrix in `format`.
        func matrix(_ name: String, _ shape: [Int]) throws -> WeightBuffer {
            let b = WeightBuffer(count: shape.reduce(1, *), format: format, arena: arena)
            try load(name, shape, into: b)
            return b
        }
        /// The biases of a fused group of projections in one (width) buffer at
        /// their row offsets, or nil when the config gives none of them a bias.
        /// A bias the config does not expect means config and weights disagree.
        func biases(layer: Int, _ kinds: [LinearKind], width: Int) throws -> WeightBuffer? {
            var buffer: WeightBuffer? = nil
            for kind in kinds {
                let name = LinearID(layer: layer, kind: kind).modulePath + ".bias"
                if config.biases.contains(kind) {
                    let b = buffer ?? WeightBuffer(count: width)
                    buffer = b
                    try load(name, [Self.shape(of: kind, config).outFeatures], into: b,
                             at: Self.rowOffset(of: kind, config))
                } else if try tensor(name) != nil {
                    let toggle = config.family.biasSwitches.first { $0.kinds.contains(kind) }
                    throw LlamaError.unexpectedTensor(tensor: name,
                        reason: "\(config.family) has no \(kind.rawValue) bias"
                            + (toggle.map { " while config.json's \($0.key) is not true" } ?? ""))
                }
            }
            return buffer
        }
        /// `self_attn.q_norm` / `k_norm` (D) when the family normalises heads, else nil.
        func headNorm(layer: Int, _ module: String) throws -> WeightBuffer? {
            let name = "model.layers.\(layer).self_attn.\(module).weight"
            if config.hasQueryKeyNorm { return try single(name, [config.headDim]) }
            if try tensor(name) != nil {
                throw LlamaError.unexpectedTensor(tensor: name, reason: "\(config.family) has no per-head q/k norm")
            }
            return nil
        }

        embedTokens = try matrix("model.embed_tokens.weight", [vocab, h])
        var layers: [LlamaLayerWeights] = []
        layers.reserveCapacity(config.numHiddenLayers)
        for l in 0..<config.numHiddenLayers {
            let p = "model.layers.\(l)."
            let qkv = WeightBuffer(count: (q + 2 * kv) * h, format: format, arena: arena)
            try load(p + "self_attn.q_proj.weight", [q, h], into: qkv)
            try load(p + "self_attn.k_proj.weight", [kv, h], into: qkv, at: q * h)
            try load(p + "self_attn.v_proj.weight", [kv, h], into: qkv, at: (q + kv) * h)
            let gateUp = WeightBuffer(count: 2 * inter * h, format: format, arena: arena)
            try load(p + "mlp.gate_proj.weight", [inter, h], into: gateUp)
            try load(p + "mlp.up_proj.weight", [inter, h], into: gateUp, at: inter * h)
            layers.append(LlamaLayerWeights(
                inputNorm: try single(p + "input_layernorm.weight", [h]),
                qkv: qkv,
                qkvBias: try biases(layer: l, [.q, .k, .v], width: q + 2 * kv),
                queryNorm: try headNorm(layer: l, "q_norm"),
                keyNorm: try headNorm(layer: l, "k_norm"),
                o: try matrix(p + "self_attn.o_proj.weight", [h, q]),
                oBias: try biases(layer: l, [.o], width: h),
                postNorm: try single(p + "post_attention_layernorm.weight", [h]),
                gateUp: gateUp,
                gateUpBias: try biases(layer: l, [.gate, .up], width: 2 * inter),
                down: try matrix(p + "mlp.down_proj.weight", [h, inter]),
                downBias: try biases(layer: l, [.down], width: h)))
        }
        self.layers = layers
        norm = try single("model.norm.weight", [h])
        // transformers ties lm_head to embed_tokens when tie_word_embeddings is
        // set, ignoring any saved lm_head.weight (PreTrainedModel.tie_weights).
        lmHead = config.tieWordEmbeddings ? embedTokens : try matrix("lm_head.weight", [vocab, h])
        self.config = config
        self.format = format
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

    /// Bytes of weights read per decoded token, as resident (every matrix,
    /// bias and norm once; embeddings are one row, the lm_head is whole): the
    /// numerator of the bandwidth bound tokens/s = bandwidth ÷ this.
    public var bytesReadPerToken: Int {
        var n = lmHead.byteCount + norm.byteCount
        for l in layers { n += l.buffers.reduce(0) { $0 + $1.byteCount } }
        return n
    }

    /// Bytes of every weight buffer held (a tied lm_head counted once).
    public var residentBytes: Int {
        var n = embedTokens.byteCount + norm.byteCount + (lmHead === embedTokens ? 0 : lmHead.byteCount)
        for l in layers { n += l.buffers.reduce(0) { $0 + $1.byteCount } }
        return n
    }

    /// A projection's bias (out values), or nil when it has none.
    public func bias(_ id: LinearID) -> [Float]? {
        guard id.layer >= 0, id.layer < layers.count else { return nil }
        let layer = layers[id.layer]
        let buffer: WeightBuffer?
        switch id.kind {
        case .q, .k, .v: buffer = layer.qkvBias
        case .o: buffer = layer.oBias
        case .gate, .up: buffer = layer.gateUpBias
        case .down: buffer = layer.downBias
        }
        guard let buffer, config.biases.contains(id.kind) else { return nil }
        let start = buffer.pointer + Self.rowOffset(of: id.kind, config)
        return Array(UnsafeBufferPointer(start: start, count: Self.shape(of: id.kind, config).outFeatures))
    }
}
