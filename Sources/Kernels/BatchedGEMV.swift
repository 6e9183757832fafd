import Dispatch

/// y = x · Wᵀ for a handful of rows (batched decode), streaming W once.
///
/// Why not sgemm: for small m OpenBLAS packs the whole weight matrix first
/// (`sgemm_incopy`), an extra read and write of W on a memory-bound step,
/// and calling gemv per row streams W m times (PERF-NOTES: sgemm at m = 8
/// reaches 45 GFLOP/s, far under the bandwidth limit). Here each weight row
/// is loaded once and multiplied against every input row while it sits in L1.
public enum BatchedGEMV {
    /// Up to this many rows this kernel beats OpenBLAS on a memory-bound
    /// step. Measured on the 2-core EPYC over the SmolLM-135M matrices (best
    /// of 12 passes, shared machine): gemv for 1 row 43.5 ms; this kernel
    /// 44.7 ms for 2 rows, 65.9 for 4, 101.8 for 8, 166.5 for 16; OpenBLAS's
    /// best (gemv per row or sgemm, which packs all of W first) 78.3, 125.0,
    /// 202.5, 155.9. The crossover is between 8 and 16 rows.
    public static let maxRows = 12

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

    /// Output rows `outRange` for all input rows, in tiles of 4 weight rows ×
    /// 2 input rows: 8 SIMD4 accumulators fit the 16 SSE registers of the
    /// baseline x86-64 target, and each loaded vector is used 2 or 4 times.
    /// A partial tile repeats its last row (computed, not stored), so an odd
    /// row count wastes at most one row of arithmetic.
    private static func block(rows: Int, outRange: Range<Int>, inFeatures n: Int, outStride: Int,
                              w: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let vectorEnd = n & ~3
        let last = outRange.upperBound - 1
        var o = outRange.lowerBound
        while o <= last {
            let outs = min(4, last - o + 1)
            // element offsets of the four W rows (repeats past the range end)
            let w0 = o * n, w1 = min(o + 1, last) * n, w2 = min(o + 2, last) * n, w3 = min(o + 3, last) * n
            var r = 0
            while r < rows {
                let pair = r + 1 < rows
                let xa = r * n, xb = pair ? xa + n : xa
                var a0 = SIMD4<Float>(), a1 = SIMD4<Float>(), a2 = SIMD4<Float>(), a3 = SIMD4<Float>()
                var b0 = SIMD4<Float>(), b1 = SIMD4<Float>(), b2 = SIMD4<Float>(), b3 = SIMD4<Float>()
                // Raw row pointers and wrapping offsets keep Swift's overflow
                // checks out of the inner loop (they cost more than the math).
                let pu = UnsafeRawPointer(x + xa), pv = UnsafeRawPointer(x + xb)
                let p0 = UnsafeRawPointer(w + w0), p1 = UnsafeRawPointer(w + w1)
                let p2 = UnsafeRawPointer(w + w2), p3 = UnsafeRawPointer(w + w3)
                var byte = 0
                let byteEnd = vectorEnd &* 4
                while byte < byteEnd {
                    let u = pu.loadUnaligned(fromByteOffset: byte, as: SIMD4<Float>.self)
                    let v = pv.loadUnaligned(fromByteOffset: byte, as: SIMD4<Float>.self)
                    let q0 = p0.loadUnaligned(fromByteOffset: byte, as: SIMD4<Float>.self)
                    a0 += q0 * u; b0 += q0 * v
                    let q1 = p1.loadUnaligned(fromByteOffset: byte, as: SIMD4<Float>.self)
                    a1 += q1 * u; b1 += q1 * v
                    let q2 = p2.loadUnaligned(fromByteOffset: byte, as: SIMD4<Float>.self)
                    a2 += q2 * u; b2 += q2 * v
                    let q3 = p3.loadUnaligned(fromByteOffset: byte, as: SIMD4<Float>.self)
                    a3 += q3 * u; b3 += q3 * v
                    byte &+= 16
                }
                var i = vectorEnd
                var sa = (a0.sum(), a1.sum(), a2.sum(), a3.sum())
                var sb = (b0.sum(), b1.sum(), b2.sum(), b3.sum())
                while i < n {   // tail of a row length that is not a multiple of 4
                    let u = x[xa + i], v = x[xb + i]
                    sa.0 += w[w0 + i] * u; sb.0 += w[w0 + i] * v
                    sa.1 += w[w1 + i] * u; sb.1 += w[w1 + i] * v
                    sa.2 += w[w2 + i] * u; sb.2 += w[w2 + i] * v
                    sa.3 += w[w3 + i] * u; sb.3 += w[w3 + i] * v
                    i += 1
                }
                let ya = y + r * outStride + o
                ya[0] = sa.0
                if outs > 1 { ya[1] = sa.1 }
                if outs > 2 { ya[2] = sa.2 }
                if outs > 3 { ya[3] = sa.3 }
                if pair {
                    let yb = ya + outStride
                    yb[0] = sb.0
                    if outs > 1 { yb[1] = sb.1 }
                    if outs > 2 { yb[2] = sb.2 }
                    if outs > 3 { yb[3] = sb.3 }
                }
                r += 2
            }
            o += 4
        }
    }
}
