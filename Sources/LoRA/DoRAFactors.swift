import Kernels

/// DoRA (weight-decomposed LoRA, Liu et al. 2024; PEFT `use_dora`) as lorad
/// computes it. A DoRA module has the LoRA pair plus a magnitude vector m
/// (out). With s the LoRA scale and W0 the frozen (out, in) weight
/// (PEFT `DoraLinearLayer.forward` and `get_weight_norm`, peft/tuners/lora/dora.py):
///
///     n = ‖W0 + s·B·A‖ per output row (L2 over the input dimension)
///     g = m / n                               (out)
///     y = g ⊙ (W0·x + s·B·(A·x))              a bias, if any, is added after, unscaled
///     merged: W' = g ⊙ (W0 + s·B·A)
///
/// PEFT detaches n (DoRA paper, section 4.3: a constant for gradients), so
/// at inference g is a constant per row: computed once when the adapter is
/// loaded, against the W0 the model holds, and applied as a per-row scale of
/// the module's output slice after its low-rank term (`LoRABatchPlan`).
public enum DoRAFactors {
    /// g for one module against `w0` (out, in) row-major: (out). Computed with
    /// `LowRankRowNorms` (one pass over W0, W0 + s·B·A never materialised) and
    /// the quotient in F64, rounded once to F32.
    /// - Throws: `AdapterError.doraZeroNorm` if a row of W0 + s·B·A is zero
    ///   (PEFT's g would be ±inf or NaN there).
    public static func compute(module: LoRAModule, magnitude: [Float], scale: Float, id: LinearID,
                               w0: UnsafeBufferPointer<Float>) throws -> [Float] {
        let out = module.outFeatures, inF = module.inFeatures, r = module.rank
        guard w0.count == out * inF, magnitude.count == out, let wp = w0.baseAddress else {
            throw AdapterError.baseMismatch(tensor: id.weightName,
                                            reason: "has \(w0.count) values; the adapter expects (\(out), \(inF))")
        }
        var squared = [Double](repeating: 0, count: out)
        module.b.withUnsafeBufferPointer { b in
            module.a.withUnsafeBufferPointer { a in
                squared.withUnsafeMutableBufferPointer { result in
                    guard let bp = b.baseAddress, let ap = a.baseAddress, let rp = result.baseAddress else { return }
                    // The kernel adds (s·B)·A: each s·B value rounded to F32 once, then the products.
                    LowRankRowNorms.squared(out: out, in: inF, rank: r, w: wp, b: bp, scale: scale, a: ap, result: rp)
                }
            }
        }
        return try factors(magnitude: magnitude, squaredNorms: squared, scale: scale, id: id)
    }

    /// g for one module against `base`'s resident W0.
    public static func compute(module: LoRAModule, magnitude: [Float], scale: Float, id: LinearID,
                               base: any BaseLinears) throws -> [Float] {
        try base.withWeight(of: id) { w0 in
            try compute(module: module, magnitude: magnitude, scale: scale, id: id, w0: w0)
        }
    }

    /// g = m / √(squared norm) per row, rounded once to F32.
    static func factors(magnitude: [Float], squaredNorms: [Double], scale: Float, id: LinearID) throws -> [Float] {
        var g = [Float](repeating: 0, count: magnitude.count)
        for o in g.indices {
            let value = Float(Double(magnitude[o]) / squaredNorms[o].squareRoot())
            guard squaredNorms[o] > 0, squaredNorms[o].isFinite, value.isFinite else {
                throw AdapterError.doraZeroNorm(module: id.modulePath, row: o, scale: scale)
            }
            g[o] = value
        }
        return g
    }

    /// W ← g ⊙ W with g = m / ‖W‖ per row, for a merge that has already formed
    /// W = W0 + s·B·A (PEFT `merge`: `dora_factor.view(-1, 1) * (weight + delta)`):
    /// the norm is taken of the very matrix being written, so a file merge
    /// needs nothing but the checkpoint and m.
    /// - Parameter weight: (out, in) row-major.
    static func scaleMerged(_ weight: UnsafeMutableBufferPointer<Float>, magnitude: [Float], scale: Float,
                            id: LinearID) throws {
        let out = magnitude.count
        guard out > 0, weight.count % out == 0, let wp = weight.baseAddress else {
            throw AdapterError.baseMismatch(tensor: id.weightName,
                                            reason: "has \(weight.count) values, not a multiple of \(out) rows")
        }
        let inF = weight.count / out
        var squared = [Double](repeating: 0, count: out)
        squared.withUnsafeMutableBufferPointer { result in
            guard let rp = result.baseAddress else { return }
            // Rank 0: the norms of W itself (the low-rank operands are never read).
            LowRankRowNorms.squared(out: out, in: inF, rank: 0, w: wp, b: wp, a: wp, result: rp)
        }
        let g = try factors(magnitude: magnitude, squaredNorms: squared, scale: scale, id: id)
        for o in 0..<out {
            let row = wp + o * inF
            for i in 0..<inF { row[i] *= g[o] }
        }
    }
}
