import Kernels
import SafeTensors

extension WeightFormat {
    /// `values` rounded to this format's precision (to nearest even) and
    /// widened back: what PyTorch's `.to(torch.bfloat16)` / `.half()` leaves
    /// of an F32 tensor. Identity for F32, and for values already in the
    /// format. `overflowed`: how many finite values became ±infinity, as
    /// `narrow` counts them.
    func rounded(_ values: [Float]) -> (values: [Float], overflowed: Int) {
        guard self != .f32, !values.isEmpty else { return (values, 0) }
        var narrowed = [UInt16](repeating: 0, count: values.count)
        var overflowed = 0
        let widened = [Float](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { src in
                narrowed.withUnsafeMutableBytes { bits in
                    guard let s = src.baseAddress, let b = bits.baseAddress, let o = out.baseAddress else { return }
                    overflowed = narrow(s, count: values.count, into: b)
                    Widening.toFloat(b, format: self, into: o, count: values.count)
                    count = values.count
                }
            }
        }
        return (widened, overflowed)
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
                overflowed &+= FloatConversion.bf16Overflowed(out[i], from: src[i]) ? 1 : 0
            }
        case .f16:
            let out = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count {
                out[i] = FloatConversion.floatToF16(src[i])
                overflowed &+= FloatConversion.f16Overflowed(out[i], from: src[i]) ? 1 : 0
            }
        }
        return overflowed
    }
}
