/// Root-mean-square layer norm, as transformers' `LlamaRMSNorm.forward`:
/// variance = mean(x²) in float32, x · rsqrt(variance + eps), then · weight.
public enum RMSNorm {
    /// out = x / sqrt(mean(x²) + eps) · weight, for `rows` rows of `count`.
    ///
    /// - x: (rows, count) with row stride `count`
    /// - weight: (count)
    /// - out: (rows, count); may alias x.
    public static func apply(rows: Int, count: Int, x: UnsafePointer<Float>,
                             weight: UnsafePointer<Float>, eps: Float,
                             out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let src = x + r * count, dst = out + r * count
            let variance = VectorMath.sumOfSquares(src, count: count) / Float(count)
            // torch.rsqrt in float32; 1/sqrt is within an ulp of it.
            let inv = 1 / (variance + eps).squareRoot()
            // transformers multiplies (x · inv) first, then by weight: same order here.
            for i in 0..<count { dst[i] = weight[i] * (src[i] * inv) }
        }
    }
}
