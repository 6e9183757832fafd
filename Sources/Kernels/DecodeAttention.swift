import CKernels

/// The query heads of one decode row that share a key/value head attending
/// over their sequence's cache: per head, scores = q·kᵀ · scale over
/// positions 0..<count, softmax, out = scores·V — transformers'
/// `eager_attention_forward` for one row, with `repeat_kv`'s sharing.
///
/// The attention hot loop of batched decode. The cache holds each KV head's
/// positions contiguously, (count, headDim), in F32 or a 16-bit format that
/// is widened exactly with F32 accumulation, so both passes read K and V as
/// one sequential stream, once for all the heads that share them.
///
/// Implementations (`KernelPath`): C intrinsics for AVX2 and AVX-512
/// (CKernels' attention_body.h: one pass reading K and V together a block
/// at a time with an online softmax, register tiles of 3 heads that widen
/// each 16-bit vector once by `vcvtph2ps` or a shift), and the portable
/// Swift SIMD8 version (`DecodeAttention+Portable.swift`: a score pass,
/// softmax, then a value pass). On
/// x86-64 the portable path's 16-bit widening (`SIMD8<Float>(SIMD8<Float16>)`,
/// `SIMD8<UInt32>(truncatingIfNeeded:)`) compiles to calls into the standard
/// library's generic conversions, one call per 8 elements, which made a
/// 16-bit cache slower to attend over than an F32 cache twice its size.
public enum DecodeAttention {
    /// The `heads` query heads that share one key/value head (grouped-query
    /// attention; 1 for plain multi-head attention), the cache read once
    /// for all of them. A separate pass per head streamed the cache `heads`
    /// times; at 1024 positions, 8 sequences' F32 caches are ~380 MB a
    /// step, as much traffic as the weights.
    /// - q: (heads, headDim) consecutive rotated queries; out: (heads, headDim)
    /// - keys, values: this KV head's cache, (count, headDim) in `format`
    /// - scores: heads × count floats of scratch (its contents afterwards
    ///   differ between paths and mean nothing)
    /// - path: one of `KernelPath.available` (any other runs the portable path)
    public static func group(q: UnsafePointer<Float>, heads: Int, keys: UnsafeRawPointer, values: UnsafeRawPointer,
                             format: WeightFormat, count: Int, headDim: Int, scale: Float,
                             scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                             path: KernelPath = KernelPath.active) {
        guard heads > 0, count > 0, headDim > 0 else { return }
        let path = KernelPath.available.contains(path) ? path : .portable
        switch path {
        #if arch(x86_64)
        case .avx2:
            lorad_attention_avx2(format.cValue, heads, count, headDim, scale, q, keys, values, scores, out)
        case .avx512:
            lorad_attention_avx512(format.cValue, heads, count, headDim, scale, q, keys, values, scores, out)
        #endif
        default:
            switch format {
            case .f32:
                portable(F32Elements.self, q: q, heads: heads, keys: keys, values: values, count: count,
                         headDim: headDim, scale: scale, scores: scores, out: out)
            case .bf16:
                portable(BF16Elements.self, q: q, heads: heads, keys: keys, values: values, count: count,
                         headDim: headDim, scale: scale, scores: scores, out: out)
            case .f16:
                portable(F16Elements.self, q: q, heads: heads, keys: keys, values: values, count: count,
                         headDim: headDim, scale: scale, scores: scores, out: out)
            }
        }
    }
}
