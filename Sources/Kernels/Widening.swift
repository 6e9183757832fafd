import CKernels

/// Bulk widening of 16-bit weights to F32 (exact): rows of an embedding
/// table, a panel of a weight matrix for prefill's sgemm, a projection's
/// rows for code that needs them in F32.
public enum Widening {
    /// dst[i] = src[i] as F32 for i < count; `src` holds `format` elements.
    public static func toFloat(_ src: UnsafeRawPointer, format: WeightFormat, into dst: UnsafeMutablePointer<Float>,
                               count: Int, path: KernelPath = KernelPath.active) {
        guard count > 0 else { return }
        if format == .f32 {
            dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
            return
        }
        switch KernelPath.available.contains(path) ? path : .portable {
        #if arch(x86_64)
        case .avx2: lorad_widen_avx2(format.cValue, src, dst, count)
        case .avx512: lorad_widen_avx512(format.cValue, src, dst, count)
        #endif
        default:
            if format == .bf16 { portable(BF16Elements.self, src, dst, count) } else { portable(F16Elements.self, src, dst, count) }
        }
    }

    private static func portable<E: WeightElements>(_: E.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let raw = UnsafeMutableRawPointer(dst)
        var i = 0
        while i &+ 8 <= count {
            raw.storeBytes(of: E.load8(src, i &* E.byteSize), toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count { dst[i] = E.load1(src, i); i &+= 1 }
    }
}
