import Kernels

extension Configuration {
    /// The KV cache format this configuration gives a base resident in
    /// `residentWeights`: `kv_dtype` when set, else (`auto`) F32 over F32
    /// weights and F16 over 16-bit weights.
    ///
    /// Why: an F32 base is served for exactness (it matches transformers'
    /// logits to 1e-4, which is what a fine-tuned adapter was evaluated
    /// with), and an F32 cache keeps that. A 16-bit base is served for
    /// memory and speed, and a 16-bit cache halves the bytes each token
    /// reserves and each long-context step reads, as llama.cpp's F16 default
    /// and vLLM's `kv_cache_dtype=auto` (the model's dtype) do. F16 rather
    /// than BF16: its 10 mantissa bits keep the F32 cache's greedy output
    /// (over every fixture model, adapter and prompt, all but two runs, both
    /// at exact ties), where BF16's 7 moved logits ten times as far. F16's
    /// range ends at ±65504; a model whose keys or values go past it needs
    /// `kv_dtype = bf16` (or `f32`).
    public func kvFormat(residentWeights: WeightFormat) -> WeightFormat {
        if let kvDType { return kvDType }
        return residentWeights == .f32 ? .f32 : .f16
    }
}
