import LoRA

/// The hyper-parameters of a Llama-shaped decoder (Llama, Mistral, Qwen2,
/// Qwen3: see `ModelFamily`), decoded from a Hugging Face `config.json` (see
/// `LlamaConfig+Decoding.swift` for both file layouts).
///
/// Field meanings follow transformers' `LlamaConfig`; what differs between
/// the families is data here (`family`, `biases`), not code in the forward pass.
public struct LlamaConfig: Sendable, Equatable {
    /// How RoPE frequencies are derived (transformers `rope_type`).
    public enum RoPEScaling: Sendable, Equatable {
        /// inv_freq = 1 / theta^(2i/d)
        case none
        /// Llama 3.1's frequency-dependent scaling
        /// (transformers `_compute_llama3_parameters`).
        case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double,
                    originalMaxPositionEmbeddings: Int)
    }

    /// The architecture: which tensors exist and what the forward pass applies.
    public var family: ModelFamily
    /// Projections that carry a bias (`<module>.bias`, added after the
    /// projection and its LoRA delta): the family's fixed ones plus those its
    /// config switches (`attention_bias`, `mlp_bias`) turn on.
    public var biases: Set<LinearKind>
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var ropeScaling: RoPEScaling
    /// The longest context lorad serves (max_position_embeddings).
    public var maxPositionEmbeddings: Int
    /// Sliding-window attention: a layer in `slidingLayers` lets the query
    /// at position q see the keys at q − window + 1 … q only. nil when no
    /// layer slides or the window is no shorter than the context (then it
    /// never binds).
    public var slidingWindow: Int?
    /// The layers that use `slidingWindow` (Mistral: all; Qwen: per
    /// `layer_types` or `max_window_layers`).
    public var slidingLayers: Set<Int>
    public var tieWordEmbeddings: Bool
    public var vocabSize: Int
    public var bosTokenID: Int?
    /// Every id that ends generation (generation_config.json overrides config.json).
    public var eosTokenIDs: [Int]
    /// generation_config.json's sampling defaults (`SamplingDefaults`).
    public var samplingDefaults = SamplingDefaults.none
    /// The checkpoint's declared dtype (`torch_dtype` in 4.x, `dtype` in 5.x), if any.
    public var dtype: String?
    /// `_name_or_path` (transformers 4.x records the hub id or folder the
    /// model was loaded from), if any.
    public var nameOrPath: String?

    /// Memberwise, for models built in memory (benchmarks, tests). Validates
    /// the same invariants as decoding.
    /// `biases` nil means the family's fixed ones.
    public init(family: ModelFamily = .llama, biases: Set<LinearKind>? = nil, hiddenSize: Int, intermediateSize: Int,
                numHiddenLayers: Int, numAttentionHeads: Int, numKeyValueHeads: Int? = nil,
                headDim: Int? = nil, rmsNormEps: Float = 1e-5, ropeTheta: Double = 10000,
                ropeScaling: RoPEScaling = .none, maxPositionEmbeddings: Int = 2048,
                slidingWindow: Int? = nil, slidingLayers: Set<Int>? = nil,
                tieWordEmbeddings: Bool = false, vocabSize: Int,
                bosTokenID: Int? = nil, eosTokenIDs: [Int] = [], dtype: String? = nil,
                nameOrPath: String? = nil) throws {
        self.family = family
        self.biases = biases ?? family.fixedBiases
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads ?? numAttentionHeads
        self.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.maxPositionEmbeddings = maxPositionEmbeddings
        // A window as long as the context never binds: full attention.
        self.slidingWindow = slidingWindow.flatMap { $0 < maxPositionEmbeddings || $0 <= 0 ? $0 : nil }
        self.slidingLayers = self.slidingWindow == nil ? [] : (slidingLayers ?? Set(0..<numHiddenLayers))
        self.tieWordEmbeddings = tieWordEmbeddings
        self.vocabSize = vocabSize
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.dtype = dtype
        self.nameOrPath = nameOrPath
        try validate()
    }

    /// config.json `model_type` of the family.
    public var modelType: String { family.modelType }
    /// Whether q and k get a per-head RMSNorm before RoPE (Qwen3).
    public var hasQueryKeyNorm: Bool { family.queryKeyNorm }

    /// The attention window of `layer`, nil for full attention.
    public func attentionWindow(layer: Int) -> Int? {
        slidingLayers.contains(layer) ? slidingWindow : nil
    }

    /// q_proj output width: heads · headDim.
    public var queryDim: Int { numAttentionHeads * headDim }
    /// k_proj / v_proj output width: kvHeads · headDim.
    public var keyValueDim: Int { numKeyValueHeads * headDim }

    /// Checks the invariants the forward pass relies on.
    func validate() throws {
        func positive(_ v: Int, _ key: String) throws {
            if v <= 0 { throw LlamaError.invalidValue(key: key, reason: "must be positive, got \(v)") }
        }
        try positive(hiddenSize, "hidden_size")
        try positive(intermediateSize, "intermediate_size")
        try positive(numHiddenLayers, "num_hidden_layers")
        try positive(numAttentionHeads, "num_attention_heads")
        try positive(numKeyValueHeads, "num_key_value_heads")
        try positive(headDim, "head_dim")
        try positive(vocabSize, "vocab_size")
        try positive(maxPositionEmbeddings, "max_position_embeddings")
        if let slidingWindow { try positive(slidingWindow, "sliding_window") }
        if numAttentionHeads % numKeyValueHeads != 0 {
            throw LlamaError.invalidValue(key: "num_key_value_heads",
                reason: "(\(numKeyValueHeads)) must divide num_attention_heads (\(numAttentionHeads))")
        }
        if headDim % 2 != 0 {
            throw LlamaError.invalidValue(key: "head_dim", reason: "must be even for rotary embeddings, got \(headDim)")
        }
        if !(rmsNormEps > 0) || !rmsNormEps.isFinite {
            throw LlamaError.invalidValue(key: "rms_norm_eps", reason: "must be a positive number, got \(rmsNormEps)")
        }
        if !(ropeTheta > 0) || !ropeTheta.isFinite {
            throw LlamaError.invalidValue(key: "rope_theta", reason: "must be a positive number, got \(ropeTheta)")
        }
        for id in eosTokenIDs + (bosTokenID.map { [$0] } ?? []) where id < 0 || id >= vocabSize {
            throw LlamaError.invalidValue(key: "bos_token_id/eos_token_id",
                reason: "id \(id) is outside the vocabulary (vocab_size \(vocabSize))")
        }
    }
}
