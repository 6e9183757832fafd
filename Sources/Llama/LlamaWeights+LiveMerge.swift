import LoRA

/// What a live merge changed: the adapters folded in, and a saved copy of
/// every W0 row range it overwrote. Restoring copies those bytes back, so
/// after an unmerge the weights equal W0 bit for bit (subtracting the delta
/// again would not: floating-point addition does not round-trip).
public struct LiveMerge: Sendable {
    public let uses: [AdapterUse]
    /// (projection, its W0 before the merge as (out, in) row-major values)
    fileprivate let originals: [(LinearID, [Float])]

    /// Bytes held by the saved W0 copies.
    public var savedBytes: Int { originals.reduce(0) { $0 + $1.1.count * MemoryLayout<Float>.stride } }
}

extension LlamaWeights {
    /// Folds W0 += Σ w·s·B·A into the weights in place and returns what is
    /// needed to undo it exactly.
    ///
    /// Only the engine thread may call this, between forward passes (the
    /// weights are read by that same thread; `Engine.betweenSteps`).
    public func foldIn(_ uses: [AdapterUse]) throws -> LiveMerge {
        var touched = Set<LinearID>()
        for use in uses where use.weight != 0 { touched.formUnion(use.adapter.modules.keys) }
        var originals: [(LinearID, [Float])] = []
        for id in touched.sorted() {
            guard let w = linear(id) else {
                throw LlamaError.invalidBatch("live merge: the model has no linear \(id)")
            }
            originals.append((id, w.values))
        }
        do {
            for (id, _) in originals {
                guard let w = linear(id) else { continue }
                let buffer = UnsafeMutableBufferPointer(start: w.pointer, count: w.shape.outFeatures * w.shape.inFeatures)
                try LoRAMerge.addDelta(into: buffer, adapters: uses, id: id)
            }
        } catch {
            restore(LiveMerge(uses: uses, originals: originals))
            throw error
        }
        return LiveMerge(uses: uses, originals: originals)
    }

    /// Puts back the W0 rows saved by `foldIn`.
    public func restore(_ merge: LiveMerge) {
        for (id, values) in merge.originals {
            guard let w = linear(id) else { continue }
            values.withUnsafeBufferPointer { w.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
    }

    /// FNV-1a over the bytes of every weight buffer: a test hook to show an
    /// unmerge restored W0 bit for bit.
    public func checksum() -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ buffer: WeightBuffer) {
            let bytes = UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.byteCount)
            for b in bytes {
                hash ^= UInt64(b)
                hash &*= 0x100_0000_01b3
            }
        }
        mix(embedTokens)
        for l in layers {
            for b in [l.inputNorm, l.qkv, l.o, l.postNorm, l.gateUp, l.down] { mix(b) }
        }
        mix(norm)
        if lmHead !== embedTokens { mix(lmHead) }
        return hash
    }
}
