import LoRA

/// The frozen weights of one decoder layer, in the fused layout the forward
/// pass streams (H = hidden, Q = heads·headDim, KV = kvHeads·headDim,
/// I = intermediate).
public struct LlamaLayerWeights: Sendable {
    /// input_layernorm.weight: (H)
    public let inputNorm: WeightBuffer
    /// q_proj ; k_proj ; v_proj stacked by rows: (Q + KV + KV, H)
    public let qkv: WeightBuffer
    /// o_proj: (H, Q)
    public let o: WeightBuffer
    /// post_attention_layernorm.weight: (H)
    public let postNorm: WeightBuffer
    /// gate_proj ; up_proj stacked by rows: (2·I, H)
    public let gateUp: WeightBuffer
    /// down_proj: (H, I)
    public let down: WeightBuffer
}
