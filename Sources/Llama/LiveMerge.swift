import Kernels
import LoRA

/// Folds adapters into the in-memory base weights (W0 ← W0 + Σ weight·s·B·A,
/// PEFT `merge_and_unload` arithmetic) and takes them back out bit for bit.
///
/// The originals of every projection touched are copied once before the
/// first write — their resident bytes, whatever the format — and `restore()`
/// copies them back, so un-merging is exact rather than a subtraction that
/// would leave rounding residue. They are kept in `weights.unmerged`, so an
/// adapter load can read W0 (DoRA factors) while a merge is in place.
///
/// Over 16-bit weights the sum is computed in F32 on the widened W0 and
/// rounded to the resident format (to nearest even) once: each merged
/// element is within half a unit in the last place of the format (2⁻⁹
/// relative for BF16, 2⁻¹² for F16) of the F32 merge.
///
/// Owned by the engine thread and used only between forward steps: the
/// weights are shared with every forward pass, so nothing may run a forward
/// on this model while `fold` or `restore` runs. Deliberately not Sendable.
public final class LiveMerge {
    public let weights: LlamaWeights

    public init(weights: LlamaWeights) {
        self.weights = weights
    }

    /// Projections whose W0 currently differs from the checkpoint.
    public var modified: [LinearID] { weights.unmerged.modified }

    /// W0 ← W0 + Σ use.weight · module.scale · B·A for every linear the
    /// adapters target; a DoRA adapter (alone, weight 1) also scales the rows
    /// by its factor: W0 ← g ⊙ (W0 + s·B·A) (`LoRAMerge.addDelta`). Throws
    /// before changing anything if a module does not fit this model or the
    /// mix cannot be live-merged exactly (`LoRAMerge.checkLiveMergeable`),
    /// and throws after restoring every original if a merged weight is not
    /// finite (checked, not assumed: validation bounds scales and factors,
    /// but a mix of several adapters could still overflow).
    public func fold(_ uses: [AdapterUse]) throws {
        try LoRAMerge.checkLiveMergeable(uses)
        for use in uses {
            for (id, module) in use.adapter.modules {
                guard let shape = weights.linear(id)?.shape else {
                    throw LlamaError.invalidBatch("adapter \(use.adapter.name) targets \(id), which this model does not have")
                }
                guard shape == LinearShape(outFeatures: module.outFeatures, inFeatures: module.inFeatures) else {
                    throw LlamaError.shapeMismatch(tensor: "\(use.adapter.name): \(id.weightName)",
                                                   expected: [shape.outFeatures, shape.inFeatures],
                                                   found: [module.outFeatures, module.inFeatures])
                }
            }
        }
        for use in uses where use.isActive {
            for id in use.adapter.modules.keys.sorted() {
                try modify(id) { w, shape in
                    // W (out, in) += weight · s · B (out, r) · A (r, in), then × g per row for DoRA.
                    try LoRAMerge.addDelta(into: UnsafeMutableBufferPointer(start: w, count: shape.outFeatures * shape.inFeatures),
                                           adapters: [use], id: id)
                }
            }
        }
        for id in modified {
            guard let view = weights.linear(id), !Self.allFinite(view) else { continue }
            restore()
            throw LlamaError.nonFiniteMerge(tensor: id.weightName)
        }
    }

    /// Runs `body` on a projection's W0 as F32, saving the original first:
    /// in place for F32 weights; for 16-bit ones on a widened copy that is
    /// then rounded back into the resident format. Holds `weights.unmerged`'s
    /// lock meanwhile, so no adapter load reads the projection half-written.
    /// body: (pointer to (out, in) row-major, shape).
    public func modify(_ id: LinearID, _ body: (UnsafeMutablePointer<Float>, LinearShape) throws -> Void) rethrows {
        guard let view = weights.linear(id) else { return }
        try weights.unmerged.withLock { originals in
            if originals[id] == nil {
                originals[id] = Array(UnsafeRawBufferPointer(start: view.raw, count: view.byteCount))
            }
            if view.format == .f32 {
                try body(view.pointer, view.shape)
                return
            }
            var values = view.values
            try values.withUnsafeMutableBufferPointer { try body($0.baseAddress!, view.shape) }
            view.buffer.store(values, at: view.rowOffset * view.shape.inFeatures)
        }
    }

    /// Whether every resident element of `view` is finite (a 16-bit one
    /// read widened: rounding to F16 turns sums past 65504 into infinities).
    private static func allFinite(_ view: LinearWeight) -> Bool {
        let count = view.shape.outFeatures * view.shape.inFeatures
        if view.format == .f32 { return VectorMath.allFinite(view.pointer, count: count) }
        return view.values.withUnsafeBufferPointer { VectorMath.allFinite($0.baseAddress!, count: count) }
    }

    /// Puts every modified projection back to its original W0, bit for bit.
    public func restore() {
        weights.unmerged.withLock { originals in
            for (id, bytes) in originals {
                guard let view = weights.linear(id), bytes.count == view.byteCount else { continue }
                bytes.withUnsafeBytes { view.raw.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            }
            originals.removeAll()
        }
    }
}
