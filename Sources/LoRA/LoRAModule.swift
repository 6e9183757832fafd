/// The low-rank pair of one targeted linear, converted to F32 at load.
///
/// PEFT stores `lora_A.weight` as (r, in) and `lora_B.weight` as (out, r)
/// (peft/tuners/lora/layer.py, `LoraLayer.update_layer`); we keep that layout
/// so both products are plain `x·Aᵀ` and `t·Bᵀ` sgemm calls.
public struct LoRAModule: Sendable {
    public let rank: Int
    public let inFeatures: Int
    public let outFeatures: Int
    /// lora_alpha / r, or lora_alpha / √r with rsLoRA (already folded per module).
    public let scale: Float
    /// (r, in) row-major
    public let a: [Float]
    /// (out, r) row-major
    public let b: [Float]
    /// Bᵀ: (r, out) row-major. The decode path adds B·t as r contiguous
    /// axpy's of length out (SIMD-friendly) instead of out dot products of
    /// length r, which are too short to vectorise.
    public let bTransposed: [Float]

    public init(rank: Int, inFeatures: Int, outFeatures: Int, scale: Float, a: [Float], b: [Float]) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank,
                     "LoRAModule: A/B sizes are validated before construction")
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.scale = scale
        self.a = a
        self.b = b
        var t = [Float](repeating: 0, count: b.count)
        for o in 0..<outFeatures {
            for k in 0..<rank { t[k * outFeatures + o] = b[o * rank + k] }
        }
        bTransposed = t
    }

    /// Bytes of F32 held by A, B and Bᵀ (the cache budget counts all three).
    public var byteCount: Int { (a.count + 2 * b.count) * MemoryLayout<Float>.size }
}
