import LoRA

/// The frozen weights of one decoder layer, in the fused layout the forward
/// pass streams (H = hidden, Q = heads·headDim, KV = kvHeads·headDim,
/// I = intermediate, D = headDim).
///
/// Biases and q/k norms exist only where the family has them (`ModelFamily`);
/// they are small and stay F32 whatever the weights' storage.
public struct LlamaLayerWeights: Sendable {
    /// input_layernorm.weight: (H)
    public let inputNorm: WeightBuffer
    /// q_proj ; k_proj ; v_proj stacked by rows: (Q + KV + KV, H)
    public let qkv: WeightBuffer
    /// q_proj.bias ; k_proj.bias ; v_proj.bias: (Q + KV + KV), zeros for an
    /// unbiased one; nil when none of the three has a bias.
    public let qkvBias: WeightBuffer?
    /// self_attn.q_norm.weight, self_attn.k_norm.weight: (D) each, applied to
    /// every query / key head before RoPE; nil when the family has none.
    public let queryNorm: WeightBuffer?
    public let keyNorm: WeightBuffer?
    /// o_proj: (H, Q)
    public let o: WeightBuffer
    /// o_proj.bias: (H), or nil
    public let oBias: WeightBuffer?
    /// post_attention_layernorm.weight: (H)
    public let postNorm: WeightBuffer
    /// gate_proj ; up_proj stacked by rows: (2·I, H)
    public let gateUp: WeightBuffer
    /// gate_proj.bias ; up_proj.bias: (2·I), or nil
    public let gateUpBias: WeightBuffer?
    /// down_proj: (H, I)
    public let down: WeightBuffer
    /// down_proj.bias: (H), or nil
    public let downBias: WeightBuffer?

    /// Every buffer of the layer (checksums, byte counts).
    var buffers: [WeightBuffer] {
        [inputNorm, qkv, o, postNorm, gateUp, down]
            + [qkvBias, queryNorm, keyNorm, oBias, gateUpBias, downBias].compactMap { $0 }
    }
}
