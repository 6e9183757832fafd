import LoRA

/// One projection's W0 inside its (possibly fused) storage: rows
/// `rowOffset ..< rowOffset + outFeatures` of `buffer`, each `inFeatures` long.
///
/// q, k and v live in one fused (q+k+v, hidden) matrix and gate, up in one
/// (2·intermediate, hidden) matrix, so decode makes fewer, larger gemv calls;
/// this view is how LoRA validation, merge and export still address each
/// projection by its `LinearID`.
public struct LinearWeight: Sendable {
    public let buffer: WeightBuffer
    public let rowOffset: Int
    /// (out, in) as PyTorch stores it.
    public let shape: LinearShape

    /// The first element of this projection's W0: (out, in) row-major, row stride `in`.
    public var pointer: UnsafeMutablePointer<Float> { buffer.pointer + rowOffset * shape.inFeatures }

    /// A copy of W0 (out · in values, row-major).
    public var values: [Float] {
        Array(UnsafeBufferPointer(start: pointer, count: shape.outFeatures * shape.inFeatures))
    }
}
