import Dispatch

/// y = x · Wᵀ for a handful of rows (batched decode), streaming W once.
///
/// Why not sgemm: for small m OpenBLAS packs the whole weight matrix first
/// (`sgemm_incopy`), an extra read and write of W on a memory-bound step,
/// and calling gemv per row streams W m times (PERF-NOTES: sgemm at m = 8
/// reaches 45 GFLOP/s, far under the bandwidth limit). Here each weight row
/// is loaded once and multiplied against every input row while it sits in L1.
public enum BatchedGEMV {
    /// Up to this many rows this kernel beats OpenBLAS sgemm on a
    /// memory-bound step; beyond it sgemm's blocking wins. Measured on the
    /// 2-core EPYC (W in L2, one thread): this kernel peaks near 24 GFLOP/s
    /// on baseline SSE, sgemm reaches 42 at m = 8 and 59 at m = 16 — but
    /// with W streamed from DRAM (decode) sgemm's packing makes it 1.3–5×
    /// slower than this kernel for m = 2…8.
    public static let maxRows = 8

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ, every matrix row-major and dense.
    /// Splits the output rows over `threads` workers (the BLAS thread count:
    /// decode needs both cores streaming weights).
    public static func multiply(rows: Int, out: Int, in inFeatures: Int,
                                w: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                y: UnsafeMutablePointer<Float>, threads: Int) {
        let parts = out >= 256 ? max(1, threads) : 1
        if parts == 1 {
            block(rows: rows, outRange: 0..<out, inFeatures: inFeatures, outStride: out, w: w, x: x, y: y)
            return
        }
        // Each worker writes a disjoint column range of y and only reads w
        // and x, so sharing the raw pointers across the workers is safe.
        nonisolated(unsafe) let (w, x, y) = (w, x, y)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let lo = out * part / parts, hi = out * (part + 1) / parts
            block(rows: rows, outRange: lo..<hi, inFeatures: inFeatures, outStride: out, w: w, x: x, y: y)
        }
    }

    /// Output rows `outRange` for all input rows, in tiles of 2 weight rows ×
    /// 4 input rows: 8 SIMD4 accumulators fit the 16 SSE registers of the
    /// baseline x86-64 target, and each loaded vector is used 2 or 4 times.
    /// A partial tile repeats its last input row (computed, not stored).
    private static func block(rows: Int, outRange: Range<Int>, inFeatures n: Int, outStride: Int,
                              w: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let rw = UnsafeRawPointer(w), rx = UnsafeRawPointer(x)
        let vectorEnd = n & ~3
        var o = outRange.lowerBound
        while o < outRange.upperBound {
            let pair = o + 1 < outRange.upperBound
            let w0 = o * n, w1 = pair ? w0 + n : w0   // element offsets of the two W rows
            var r = 0
            while r < rows {
                let xr0 = r * n, xr1 = min(r + 1, rows - 1) * n
                let xr2 = min(r + 2, rows - 1) * n, xr3 = min(r + 3, rows - 1) * n
                var a00 = SIMD4<Float>(), a01 = SIMD4<Float>(), a02 = SIMD4<Float>(), a03 = SIMD4<Float>()
                var a10 = SIMD4<Float>(), a11 = SIMD4<Float>(), a12 = SIMD4<Float>(), a13 = SIMD4<Float>()
                var i = 0
                while i < vectorEnd {
                    let v0 = rw.loadUnaligned(fromByteOffset: (w0 + i) * 4, as: SIMD4<Float>.self)
                    let v1 = rw.loadUnaligned(fromByteOffset: (w1 + i) * 4, as: SIMD4<Float>.self)
                    let x0 = rx.loadUnaligned(fromByteOffset: (xr0 + i) * 4, as: SIMD4<Float>.self)
                    a00 += v0 * x0; a10 += v1 * x0
                    let x1 = rx.loadUnaligned(fromByteOffset: (xr1 + i) * 4, as: SIMD4<Float>.self)
                    a01 += v0 * x1; a11 += v1 * x1
                    let x2 = rx.loadUnaligned(fromByteOffset: (xr2 + i) * 4, as: SIMD4<Float>.self)
                    a02 += v0 * x2; a12 += v1 * x2
                    let x3 = rx.loadUnaligned(fromByteOffset: (xr3 + i) * 4, as: SIMD4<Float>.self)
                    a03 += v0 * x3; a13 += v1 * x3
                    i += 4
                }
                var s0 = (a00.sum(), a01.sum(), a02.sum(), a03.sum())
                var s1 = (a10.sum(), a11.sum(), a12.sum(), a13.sum())
                while i < n {   // tail of a row length that is not a multiple of 4
                    let u0 = w[w0 + i], u1 = w[w1 + i]
                    s0.0 += u0 * x[xr0 + i]; s1.0 += u1 * x[xr0 + i]
                    s0.1 += u0 * x[xr1 + i]; s1.1 += u1 * x[xr1 + i]
                    s0.2 += u0 * x[xr2 + i]; s1.2 += u1 * x[xr2 + i]
                    s0.3 += u0 * x[xr3 + i]; s1.3 += u1 * x[xr3 + i]
                    i += 1
                }
                let take = min(4, rows - r)
                let y0 = y + r * outStride + o
                y0[0] = s0.0
                if take > 1 { y0[outStride] = s0.1 }
                if take > 2 { y0[2 * outStride] = s0.2 }
                if take > 3 { y0[3 * outStride] = s0.3 }
                if pair {
                    y0[1] = s1.0
                    if take > 1 { y0[outStride + 1] = s1.1 }
                    if take > 2 { y0[2 * outStride + 1] = s1.2 }
                    if take > 3 { y0[3 * outStride + 1] = s1.3 }
                }
                r += 4
            }
            o += pair ? 2 : 1
        }
    }
}
