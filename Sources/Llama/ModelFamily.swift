import LoRA

/// What sets one Llama-shaped decoder family apart from another, written as
/// data: the config decoder reads its key defaults and switches, the weight
/// loader its tensor set, and the one forward pass only asks "does this
/// layer have a bias?" and "does it have q/k norms?".
///
/// All four compute the same decoder layer — pre-norm RMSNorm, grouped-query
/// attention with rotate-half RoPE over the whole head_dim, SwiGLU MLP
/// (transformers `LlamaDecoderLayer`, `MistralDecoderLayer`,
/// `Qwen2DecoderLayer`, `Qwen3DecoderLayer`). Defaults are those of the
/// family's transformers config class (`LlamaConfig`, `MistralConfig`,
/// `Qwen2Config`, `Qwen3Config`) for keys a config.json may leave out.
public struct ModelFamily: Sendable, Hashable, CustomStringConvertible {
    /// config.json `model_type`.
    public let modelType: String
    /// The transformers class config.json `architectures` names.
    public let architecture: String
    /// Projections that always carry a bias (`<module>.bias`), whatever the config says.
    public let fixedBiases: Set<LinearKind>
    /// Boolean config keys that, when true, give projections a bias.
    public let biasSwitches: [BiasSwitch]
    /// Per-head RMSNorm of queries and keys before RoPE (`self_attn.q_norm`,
    /// `self_attn.k_norm`, each [head_dim], shared by all heads).
    public let queryKeyNorm: Bool
    /// head_dim when config.json has no `head_dim` key; nil derives it as
    /// hidden_size / num_attention_heads.
    public let defaultHeadDim: Int?
    /// num_key_value_heads when absent; nil means num_attention_heads (plain MHA).
    public let defaultKeyValueHeads: Int?
    /// max_position_embeddings when absent.
    public let defaultMaxPositionEmbeddings: Int
    /// How the family's sliding-window keys are read (see `SlidingWindowRule`).
    public let slidingWindow: SlidingWindowRule
    /// Lower-case fragments that identify this family in a model name (a hub
    /// id or folder such as an adapter's `base_model_name_or_path`).
    public let nameHints: [String]

    /// rms_norm_eps and rope_theta when absent: the same in all four config classes.
    public static let defaultRMSNormEps = 1e-6
    public static let defaultRopeTheta = 10000.0

    /// A config switch (`attention_bias`, `mlp_bias`) and the projections it gives a bias.
    public struct BiasSwitch: Sendable, Hashable {
        public let key: String
        public let kinds: Set<LinearKind>
    }

    /// How a family's sliding-window attention keys are read. A sliding
    /// layer's key at position kv is visible to the query at q iff
    /// 0 ≤ q − kv < window (transformers `sliding_window_causal_mask_function`).
    public enum SlidingWindowRule: Sendable, Hashable {
        /// No sliding-window attention in this family; such keys are ignored
        /// (transformers' model never reads them).
        case none
        /// `sliding_window` (an integer, or null for none; `defaultWindow` when
        /// the key is absent) applies to every layer (`MistralAttention`).
        case everyLayer(defaultWindow: Int?)
        /// Off unless `switchKey` is true (then `sliding_window` is read as
        /// above; transformers sets it to None when the switch is off). The
        /// layers that slide are those `layer_types` marks
        /// "sliding_attention", or without `layer_types` those from
        /// `max_window_layers` on (`Qwen2Config`: `"sliding_attention" if
        /// sliding_window is not None and i >= max_window_layers`).
        case switched(switchKey: String, defaultWindow: Int, defaultMaxWindowLayers: Int)
    }

    public var description: String { "\(architecture) (\(modelType))" }

    /// transformers `LlamaAttention` / `LlamaMLP`: every projection takes
    /// `bias=config.attention_bias` (q, k, v, o) or `config.mlp_bias` (MLP).
    public static let llama = ModelFamily(
        modelType: "llama", architecture: "LlamaForCausalLM", fixedBiases: [],
        biasSwitches: [BiasSwitch(key: "attention_bias", kinds: [.q, .k, .v, .o]),
                       BiasSwitch(key: "mlp_bias", kinds: [.gate, .up, .down])],
        queryKeyNorm: false, defaultHeadDim: nil, defaultKeyValueHeads: nil,
        defaultMaxPositionEmbeddings: 2048, slidingWindow: .none, nameHints: ["llama"])

    /// transformers `MistralAttention`: no biases; `MistralConfig` defaults
    /// sliding_window to 4096, num_key_value_heads to 8 and
    /// max_position_embeddings to 4096 · 32.
    public static let mistral = ModelFamily(
        modelType: "mistral", architecture: "MistralForCausalLM", fixedBiases: [], biasSwitches: [],
        queryKeyNorm: false, defaultHeadDim: nil, defaultKeyValueHeads: 8,
        defaultMaxPositionEmbeddings: 4096 * 32, slidingWindow: .everyLayer(defaultWindow: 4096),
        nameHints: ["mistral"])

    /// transformers `Qwen2Attention`: q_proj, k_proj, v_proj are built with
    /// `bias=True` and o_proj with `bias=False` — no config switch; head_dim
    /// is hidden_size / num_attention_heads unless the config has one.
    public static let qwen2 = ModelFamily(
        modelType: "qwen2", architecture: "Qwen2ForCausalLM", fixedBiases: [.q, .k, .v], biasSwitches: [],
        queryKeyNorm: false, defaultHeadDim: nil, defaultKeyValueHeads: 32,
        defaultMaxPositionEmbeddings: 32768, slidingWindow: .switched(switchKey: "use_sliding_window", defaultWindow: 4096, defaultMaxWindowLayers: 28),
        nameHints: ["qwen2", "qwen1.5", "qwq"])

    /// transformers `Qwen3Attention`: q/k/v/o take `bias=config.attention_bias`,
    /// and `q_norm` / `k_norm` (`Qwen3RMSNorm(head_dim)`) normalise each
    /// head of q and k before `apply_rotary_pos_emb`. `Qwen3Config` defaults
    /// head_dim to 128, not hidden / heads.
    public static let qwen3 = ModelFamily(
        modelType: "qwen3", architecture: "Qwen3ForCausalLM", fixedBiases: [],
        biasSwitches: [BiasSwitch(key: "attention_bias", kinds: [.q, .k, .v, .o])],
        queryKeyNorm: true, defaultHeadDim: 128, defaultKeyValueHeads: 32,
        defaultMaxPositionEmbeddings: 32768, slidingWindow: .switched(switchKey: "use_sliding_window", defaultWindow: 4096, defaultMaxWindowLayers: 28),
        nameHints: ["qwen3"])

    /// Every family lorad computes.
    public static let all: [ModelFamily] = [.llama, .mistral, .qwen2, .qwen3]

    /// The family of a `model_type`, or nil.
    public static func named(modelType: String) -> ModelFamily? {
        all.first { $0.modelType == modelType }
    }

    /// The family whose transformers class is `architecture`, or nil.
    public static func named(architecture: String) -> ModelFamily? {
        all.first { $0.architecture == architecture }
    }

    /// "LlamaForCausalLM (llama), …" for refusals.
    public static var supportedList: String {
        all.map(\.description).joined(separator: ", ")
    }
}
