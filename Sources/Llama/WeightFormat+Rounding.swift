import Kernels
import SafeTensors

extension WeightFormat {
    /// `values` rounded to this format's precision (to nearest even) and
    /// widened back: what PyTorch's `.to(torch.bfloat16)` / `.half()` leaves
    /// of an F32 tensor. Identity for F32, and for values already in the format.
    func rounded(_ values: [Float]) -> [Float] {
        switch self {
        case .f32: return values
        case .bf16: return values.map { FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0)) }
        case .f16: return values.map { FloatConversion.f16ToFloat(FloatConversion.floatToF16($0)) }
        }
    }

    /// dst[0 ..< count] ← src[0 ..< count] in this format, rounded to nearest
    /// even when 16-bit (PyTorch's `.to(torch.bfloat16)` / `.half()`).
    /// Returns how many finite values rounded to ±infinity: past F16's
    /// ±65504 (BF16 only past F32's own largest values).
    /// dst: count · byteSize bytes.
    @inline(__always) @discardableResult
    func narrow(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) -> Int {
        var overflowed = 0
        switch self {
        case .f32:
            dst.assumingMemoryBound(to: Float.self).update(from: src, count: count)
        case .bf16:
            let out = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count {
                out[i] = FloatConversion.floatToBF16(src[i])
                overflowed &+= out[i] & 0x7FFF == 0x7F80 && src[i].isFinite ? 1 : 0
            }
        case .f16:
            let out = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count {
                out[i] = FloatConversion.floatToF16(src[i])
                overflowed &+= out[i] & 0x7FFF == 0x7C00 && src[i].isFinite ? 1 : 0
            }
        }
        return overflowed
    }
}
