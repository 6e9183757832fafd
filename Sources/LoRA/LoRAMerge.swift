import Kernels

/// Folding adapters into base weights: W = W0 + Σ weight · scale · B·A.
///
/// This is PEFT's `merge_and_unload` math (`LoraLayer.get_delta_weight` is
/// B @ A · scaling) done with one sgemm per adapter, accumulating into W
/// (beta = 1) so B·A is never materialised separately.
public enum LoRAMerge {
    /// W0 + Σ w·s·B·A for linear `id`, as a new array.
    /// - Parameter w0: (out, in) row-major base weight.
    /// - Throws: `AdapterError.baseMismatch` if `w0` is not the (out, in) the adapters were validated for.
    public static func mergedWeight(base w0: [Float], adapters: [AdapterUse], id: LinearID) throws -> [Float] {
        var w = w0  // (out, in)
        try w.withUnsafeMutableBufferPointer { try addDelta(into: $0, adapters: adapters, id: id) }
        return w
    }

    /// W += Σ w·s·B·A in place, for the live merge. Undo by restoring a saved
    /// copy of W0, not by subtracting: subtraction would not give back W0's
    /// exact bits.
    /// - Parameter weight: (out, in) row-major.
    public static func addDelta(into weight: UnsafeMutableBufferPointer<Float>, adapters: [AdapterUse],
                                id: LinearID) throws {
        for use in adapters where use.weight != 0 {
            guard let m = use.adapter.modules[id] else { continue }
            guard weight.count == m.outFeatures * m.inFeatures, let c = weight.baseAddress else {
                throw AdapterError.baseMismatch(
                    tensor: id.weightName,
                    reason: "has \(weight.count) elements; adapter '\(use.adapter.name)' expects "
                        + "(\(m.outFeatures), \(m.inFeatures))")
            }
            m.b.withUnsafeBufferPointer { b in      // (out, r)
                m.a.withUnsafeBufferPointer { a in  // (r, in)
                    guard let bp = b.baseAddress, let ap = a.baseAddress else { return }
                    // C (out, in) = (weight·scale) · B (out, r) · A (r, in) + 1 · C
                    BLAS.gemmAB(m: m.outFeatures, n: m.inFeatures, k: m.rank,
                                alpha: use.weight * m.scale, a: bp, b: ap, beta: 1, c: c)
                }
            }
        }
    }

    /// Whether any of `adapters` (with a non-zero weight) adapts linear `id`.
    public static func touches(_ id: LinearID, adapters: [AdapterUse]) -> Bool {
        adapters.contains { $0.weight != 0 && $0.adapter.modules[id] != nil }
    }
}
