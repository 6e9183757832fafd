/// The low-rank pair of one targeted linear, converted to F32 at load, and
/// for a DoRA adapter its magnitude vector and per-row factor.
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
    /// DoRA only: the magnitude vector m (`lora_magnitude_vector`): (out)
    public let magnitude: [Float]?
    /// DoRA only: g = m / ‖W0 + scale·B·A‖ per output row, against the base
    /// W0 the module was loaded for (`DoRAFactors`): (out). The module's
    /// output is g ⊙ (W0·x + scale·B·A·x).
    public let doraFactor: [Float]?

    /// - Parameters:
    ///   - magnitude: (out), for a DoRA module.
    ///   - doraFactor: (out), only with a magnitude; a DoRA module without it
    ///     is not ready to serve until `LoRAAdapter.dora` computes it.
    public init(rank: Int, inFeatures: Int, outFeatures: Int, scale: Float, a: [Float], b: [Float],
                magnitude: [Float]? = nil, doraFactor: [Float]? = nil) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank,
                     "LoRAModule: A/B sizes are validated before construction")
        precondition((magnitude != nil || doraFactor == nil)
                     && (magnitude?.count ?? outFeatures) == outFeatures && (doraFactor?.count ?? outFeatures) == outFeatures,
                     "LoRAModule: DoRA vectors are validated before construction")
        var t = [Float](repeating: 0, count: b.count)
        for o in 0..<outFeatures {
            for k in 0..<rank { t[k * outFeatures + o] = b[o * rank + k] }
        }
        self.init(rank: rank, inFeatures: inFeatures, outFeatures: outFeatures, scale: scale, a: a, b: b,
                  bTransposed: t, magnitude: magnitude, doraFactor: doraFactor)
    }

    private init(rank: Int, inFeatures: Int, outFeatures: Int, scale: Float, a: [Float], b: [Float],
                 bTransposed: [Float], magnitude: [Float]?, doraFactor: [Float]?) {
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.scale = scale
        self.a = a
        self.b = b
        self.bTransposed = bTransposed
        self.magnitude = magnitude
        self.doraFactor = doraFactor
    }

    /// Whether this is a DoRA module (output scaled per row by `doraFactor`).
    public var isDoRA: Bool { magnitude != nil }

    /// The same DoRA module at another scale with the factor for it; A, B
    /// and Bᵀ are shared, not copied.
    func rescaled(_ scale: Float, doraFactor: [Float]) -> LoRAModule {
        LoRAModule(rank: rank, inFeatures: inFeatures, outFeatures: outFeatures, scale: scale, a: a, b: b,
                   bTransposed: bTransposed, magnitude: magnitude, doraFactor: doraFactor)
    }

    /// This module as a DoRA module with magnitude `m` and factor `g` (both
    /// (out)); A, B and Bᵀ are shared, not copied.
    func withDoRA(magnitude m: [Float], factor g: [Float]) -> LoRAModule {
        precondition(m.count == outFeatures && g.count == outFeatures, "LoRAModule: DoRA vectors are validated before construction")
        return LoRAModule(rank: rank, inFeatures: inFeatures, outFeatures: outFeatures, scale: scale, a: a, b: b,
                          bTransposed: bTransposed, magnitude: m, doraFactor: g)
    }

    /// Bytes of F32 held by A, B, Bᵀ and the DoRA vectors (the cache budget counts them all).
    public var byteCount: Int {
        (a.count + 2 * b.count + (magnitude?.count ?? 0) + (doraFactor?.count ?? 0)) * MemoryLayout<Float>.size
    }
}
