import Kernels
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

    /// The resident element format (F32, or BF16/F16 for a 16-bit model).
    public var format: WeightFormat { buffer.format }

    /// The first element of this projection's W0: (out, in) row-major, row
    /// stride `in`, elements in `format`.
    public var raw: UnsafeMutableRawPointer { buffer.address(of: rowOffset * shape.inFeatures) }

    /// The same, as F32: only when `format` is F32.
    public var pointer: UnsafeMutablePointer<Float> { buffer.pointer + rowOffset * shape.inFeatures }

    /// Bytes of this projection's W0 as resident.
    public var byteCount: Int { shape.outFeatures * shape.inFeatures * format.byteSize }

    /// A copy of W0 widened to F32 (out · in values, row-major).
    public var values: [Float] { buffer.values(from: rowOffset * shape.inFeatures, count: shape.outFeatures * shape.inFeatures) }

    /// Rows `rows` of the resident W0 widened to F32 (exactly the values the
    /// forward pass multiplies by) into dst: (rows.count, in) row-major.
    public func widenRows(_ rows: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        let n = shape.inFeatures
        buffer.widen(from: (rowOffset + rows.lowerBound) * n, count: rows.count * n, into: dst)
    }
}
