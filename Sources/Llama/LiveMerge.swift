import Kernels
import LoRA

/// Folds adapters into the in-memory base weights (W0 ← W0 + Σ weight·s·B·A,
/// PEFT `merge_and_unload` arithmetic) and takes them back out bit for bit.
///
/// The originals of every projection touched are copied once before the
/// first write, and `restore()` copies them back, so un-merging is exact
/// rather than a subtraction that would leave rounding residue.
///
/// Owned by the engine thread and used only between forward steps: the
/// weights are shared with every forward pass, so nothing may run a forward
/// on this model while `fold` or `restore` runs. Deliberately not Sendable.
public final class LiveMerge {
    public let weights: LlamaWeights
    /// Original W0 of every modified projection: (out, in) each.
    private var originals: [LinearID: [Float]] = [:]

    public init(weights: LlamaWeights) {
        self.weights = weights
    }

    /// Projections whose W0 currently differs from the checkpoint.
    public var modified: [LinearID] { originals.keys.sorted() }

    /// W0 ← W0 + Σ use.weight · module.scale · B·A for every linear the
    /// adapters target. Throws before changing anything if a module does not
    /// fit this model, and throws after restoring every original if a merged
    /// weight is not finite (checked, not assumed: validation bounds scales
    /// and factors, but a mix of several adapters could still overflow).
    public func fold(_ uses: [AdapterUse]) throws {
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
        for use in uses where use.weight != 0 {
            for (id, module) in use.adapter.modules.sorted(by: { $0.key < $1.key }) {
                modify(id) { w, shape in
                    module.b.withUnsafeBufferPointer { b in
                        module.a.withUnsafeBufferPointer { a in
                            // W (out, in) += alpha · B (out, r) · A (r, in)
                            BLAS.gemmAB(m: shape.outFeatures, n: shape.inFeatures, k: module.rank,
                                        alpha: use.weight * module.scale, a: b.baseAddress!,
                                        b: a.baseAddress!, beta: 1, c: w)
                        }
                    }
                }
            }
        }
        for id in modified {
            guard let view = weights.linear(id),
                  !VectorMath.allFinite(view.pointer, count: view.shape.outFeatures * view.shape.inFeatures) else { continue }
            restore()
            throw LlamaError.nonFiniteMerge(tensor: id.weightName)
        }
    }

    /// Runs `body` on a projection's W0 in place, saving the original first.
    /// body: (pointer to (out, in) row-major, shape).
    public func modify(_ id: LinearID, _ body: (UnsafeMutablePointer<Float>, LinearShape) -> Void) {
        guard let view = weights.linear(id) else { return }
        if originals[id] == nil { originals[id] = view.values }
        body(view.pointer, view.shape)
    }

    /// Puts every modified projection back to its original W0, bit for bit.
    public func restore() {
        for (id, values) in originals {
            guard let view = weights.linear(id) else { continue }
            values.withUnsafeBufferPointer { view.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        originals.removeAll()
    }
}
