import Kernels

/// Folding adapters into base weights: W = W0 + Σ weight · scale · B·A, and
/// for a DoRA adapter W = g ⊙ (W0 + scale · B·A).
///
/// This is PEFT's `merge_and_unload` math (`LoraLayer.get_delta_weight` is
/// B @ A · scaling; `DoraLinearLayer` scales the merged rows by
/// magnitude / ‖W0 + delta‖) done with one sgemm per adapter, accumulating
/// into W (beta = 1) so B·A is never materialised separately.
public enum LoRAMerge {
    /// The merged weight of linear `id` for a file (`lorad merge`,
    /// `POST /adapters/NAME/merge`), as a new array. A DoRA factor is taken
    /// from the norms of the matrix just formed, as PEFT's merge takes it, so
    /// it depends on `w0` alone (the checkpoint's, whatever the model keeps
    /// resident) and on the use's weight.
    /// - Parameter w0: (out, in) row-major base weight.
    /// - Throws: `AdapterError.baseMismatch` if `w0` is not the (out, in) the
    ///   adapters were validated for; `.doraCombination`, `.doraZeroNorm`.
    public static func mergedWeight(base w0: [Float], adapters: [AdapterUse], id: LinearID) throws -> [Float] {
        try AdapterUse.checkCombination(adapters)
        var w = w0  // (out, in)
        try w.withUnsafeMutableBufferPointer { buffer in
            try addLowRank(into: buffer, adapters: adapters, id: id)
            // DoRA at weight 0 too (`AdapterUse.isActive`): g = m / ‖W0‖.
            for use in adapters where use.isActive {
                guard let m = use.adapter.modules[id], let magnitude = m.magnitude else { continue }
                try DoRAFactors.scaleMerged(buffer, magnitude: magnitude, scale: use.weight * m.scale, id: id)
            }
        }
        return w
    }

    /// W ← W + Σ w·s·B·A in place, for the live merge; a DoRA use (weight 1,
    /// see `AdapterUse.resolve`) then scales the rows by its stored factor —
    /// the very g its unmerged requests use. Undo by restoring a saved copy
    /// of W0, not by subtracting: subtraction would not give back W0's exact bits.
    /// - Parameter weight: (out, in) row-major.
    /// - Throws: as `checkLiveMergeable`, or `.baseMismatch` before changing anything.
    public static func addDelta(into weight: UnsafeMutableBufferPointer<Float>, adapters: [AdapterUse],
                                id: LinearID) throws {
        try checkLiveMergeable(adapters)
        try addLowRank(into: weight, adapters: adapters, id: id)
        for use in adapters where use.isActive {
            guard let m = use.adapter.modules[id], let g = m.doraFactor, let w = weight.baseAddress else { continue }
            for o in 0..<m.outFeatures {
                let row = w + o * m.inFeatures
                for i in 0..<m.inFeatures { row[i] *= g[o] }
            }
        }
    }

    /// Whether `adapters` can be live-merged with every other request kept
    /// exact. A DoRA adapter must be alone at weight 1 (resolved), and its
    /// factor non-zero and normal in every row: other requests recover
    /// W0·x = (W'·x) / g − s·B·A·x, impossible where g = 0 (the merged row
    /// is zero) and inexact where g is subnormal (W' rows lose precision).
    /// - Throws: `.doraCombination`, `.doraNotInvertible`.
    public static func checkLiveMergeable(_ adapters: [AdapterUse]) throws {
        try AdapterUse.checkCombination(adapters)
        for use in adapters where use.isActive && use.adapter.isDoRA {
            guard use.weight == 1 else {
                throw AdapterError.doraCombination(adapters: ["\(use.adapter.name):\(use.weight) (not resolved to weight 1)"])
            }
            if let id = use.adapter.missingFactor {
                throw AdapterError.baseWeightsUnavailable(module: id.modulePath)
            }
            for (id, m) in use.adapter.modules.sorted(by: { $0.key < $1.key }) {
                guard let g = m.doraFactor else { continue }
                if let row = g.firstIndex(where: { !$0.isNormal }) {
                    throw AdapterError.doraNotInvertible(adapter: use.adapter.name, module: id.modulePath, row: row)
                }
            }
        }
    }

    /// W += Σ w·s·B·A in place (no DoRA factor).
    static func addLowRank(into weight: UnsafeMutableBufferPointer<Float>, adapters: [AdapterUse],
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

    /// Whether any of `adapters` (active: `AdapterUse.isActive`) adapts linear `id`.
    public static func touches(_ id: LinearID, adapters: [AdapterUse]) -> Bool {
        adapters.contains { $0.isActive && $0.adapter.modules[id] != nil }
    }
}
