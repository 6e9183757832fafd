import CKernels

/// How the elements of a resident weight matrix are stored. Only weights
/// (and later the KV cache) may be 16-bit: the kernels widen them to F32 in
/// registers, and activations, accumulation and outputs stay F32.
///
/// BF16 is the top half of an F32 (8 exponent bits, 7 mantissa bits): the
/// format most checkpoints ship in. F16 is IEEE 754 binary16 (5 exponent
/// bits, 10 mantissa bits). Widening either to F32 is exact.
public enum WeightFormat: String, Sendable, CaseIterable {
    case f32, bf16, f16

    /// Bytes per element.
    public var byteSize: Int { self == .f32 ? 4 : 2 }

    /// The format's number in CKernels (`LORAD_FORMAT_*`).
    var cValue: Int32 {
        switch self {
        case .f32: return Int32(LORAD_FORMAT_F32)
        case .bf16: return Int32(LORAD_FORMAT_BF16)
        case .f16: return Int32(LORAD_FORMAT_F16)
        }
    }
}
