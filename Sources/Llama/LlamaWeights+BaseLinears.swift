import Kernels
import LoRA

/// The resident weights as an adapter loader sees them: DoRA's factor is
/// computed against exactly the W0 the forward pass multiplies by. F32
/// weights are handed out in place (no copy); 16-bit ones are widened
/// (exactly) into a temporary F32 copy of the projection.
///
/// While a live merge has changed the projection, its saved original is
/// handed out instead; the merge's lock is held during `body`, so a merge
/// never writes the matrix being read (`UnmergedWeights`).
extension LlamaWeights: BaseLinears {
    public func withWeight<R>(of id: LinearID, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let view = linear(id) else {
            throw AdapterError.unknownModule(tensor: id.weightName, module: id.modulePath)
        }
        let count = view.shape.outFeatures * view.shape.inFeatures   // (out, in) row-major
        return try unmerged.withLock { originals in
            if let original = originals[id] {
                guard original.count == view.byteCount else {
                    throw AdapterError.baseMismatch(tensor: id.weightName, reason: "its saved original has \(original.count) bytes")
                }
                let widened = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    original.withUnsafeBytes { raw in
                        if let src = raw.baseAddress, let dst = buffer.baseAddress {
                            Widening.toFloat(src, format: view.format, into: dst, count: count)
                        }
                    }
                    initialized = count
                }
                return try widened.withUnsafeBufferPointer(body)
            }
            if view.format == .f32 { return try body(UnsafeBufferPointer(start: view.pointer, count: count)) }
            return try view.values.withUnsafeBufferPointer(body)
        }
    }
}
