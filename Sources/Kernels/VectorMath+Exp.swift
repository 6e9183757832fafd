/// e^x eight lanes at a time.
///
/// libm's `expf` is a scalar call per element; softmax over a 49,152-token
/// vocabulary, the attention scores and SwiGLU's sigmoid each spent most of
/// their time in it. This is the classic Cephes `expf` reduction (as in
/// Julien Pommier's sse_mathfun and most SIMD math libraries):
/// x = n·ln 2 + r with |r| ≤ ln2/2, e^r by a degree-5 minimax polynomial,
/// 2^n by building the float's exponent bits. Error ≤ 2 ulp over the
/// normal range (checked against `Foundation.exp` in KernelsTests).
/// Below ln(FLT_MIN) the result is 0 — so a masked -inf score gets exactly
/// zero probability — and above ln(FLT_MAX) it is +inf, as expf gives.
extension VectorMath {
    @inline(__always)
    public static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let low: Float = -87.33654, high: Float = 88.72283   // ln(FLT_MIN), ln(FLT_MAX)
        // Clamp with lane selects: `clamped`, `rounded` and the rounding
        // Int conversion are generic stdlib calls here, not instructions.
        var x = v
        x.replace(with: low, where: x .< low)
        x.replace(with: high, where: x .> high)
        // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves n in the
        // low mantissa bits (exact for |n| < 2²²), subtracting it gives n.
        let magic: Float = 12_582_912
        let shifted = x * 1.44269504088896341 + magic
        let n = shifted - magic
        let whole = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        // r = x - n·ln 2 in two steps (ln 2 split into an exactly
        // representable head and a tail) to keep r exact.
        var r = x - n * 0.693359375
        r = r + n * 2.12194440e-4
        let r2 = r * r
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        var y = p * r2 + r + 1
        // 2^n: n + 127 in the exponent field. n reaches 128 at the top clamp:
        // scale in two halves so 2^128 never has to be built.
        let half = whole &>> 1, rest = whole &- half
        y *= unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        y *= unsafeBitCast((rest &+ 127) &<< 23, to: SIMD8<Float>.self)
        y.replace(with: 0, where: v .< low)
        y.replace(with: .infinity, where: v .> high)
        y.replace(with: .nan, where: v .!= v)
        return y
    }

    /// x[i] = e^x[i] for i in 0..<count.
    public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeMutableRawPointer(x)
        while i + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            raw.storeBytes(of: exp(v), toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        if i < count {
            var tail = SIMD8<Float>(repeating: 0)
            for k in 0..<(count - i) { tail[k] = x[i + k] }
            let e = exp(tail)
            for k in 0..<(count - i) { x[i + k] = e[k] }
        }
    }
}
