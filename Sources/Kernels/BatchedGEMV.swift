import Dispatch

/// y = x · Wᵀ for a handful of rows (batched decode), streaming W once.
///
/// Why not sgemm: for small m OpenBLAS packs the whole weight matrix first
/// (`sgemm_incopy`), an extra read and write of W on a memory-bound step,
/// and calling gemv per row streams W m times (PERF-NOTES: sgemm at m = 8
/// reaches 45 GFLOP/s, far under the bandwidth limit). Here each weight row
/// is loaded once from memory and multiplied against every input row while
/// it sits in L1.
public enum BatchedGEMV {
    /// Up to this many rows this kernel beats OpenBLAS on a memory-bound
    /// step (the earlier 4×2 SSE tiling already crossed over between 8 and
    /// 16 rows; the AVX2/FMA tiling only moves the crossover up).
    /// Measured on the 2-core EPYC over all SmolLM-135M matrices, 2 threads,
    /// best of 6 passes on a loaded machine (load ≈ 5), same run: 4×2 SSE
    /// tiling 48, 52, 71, 94, 139 ms for 1, 2, 4, 8, 12 rows; this 3×4 AVX2
    /// tiling 56, 55, 54, 66, 84 ms (one row goes to BLAS gemv anyway).
    public static let maxRows = 12

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ, every matrix row-major and dense.
    /// Splits the output rows over `threads` workers (the BLAS thread count:
    /// decode needs both cores streaming weights, PERF-NOTES), so each worker
    /// streams its own contiguous half of W.
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

    /// Output rows `outRange` for all input rows, in tiles of 3 weight rows ×
    /// 4 input rows of SIMD8 lanes: 12 accumulators + 3 weight vectors + one
    /// input vector fill the 16 AVX2 registers, and per 8 columns the tile
    /// does 12 FMAs for 7 loads (the 4×2 SSE tile did 8 multiply-adds of 4
    /// lanes for 6 loads and was instruction-bound at batch 8). Horizontal
    /// sums happen once per output, after the column loop.
    /// A partial tile repeats its last row (computed, not stored).
    private static func block(rows: Int, outRange: Range<Int>, inFeatures n: Int, outStride: Int,
                              w: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let vectorEnd = n & ~7
        let byteEnd = vectorEnd &* 4
        let last = outRange.upperBound - 1
        var o = outRange.lowerBound
        while o <= last {
            let outs = min(3, last - o + 1)
            // element offsets of the three W rows (repeats past the range end)
            let w0 = o * n, w1 = min(o + 1, last) * n, w2 = min(o + 2, last) * n
            // Raw row pointers and wrapping offsets keep Swift's overflow
            // checks out of the inner loop (they cost more than the math).
            let p0 = UnsafeRawPointer(w + w0), p1 = UnsafeRawPointer(w + w1), p2 = UnsafeRawPointer(w + w2)
            var r = 0
            while r < rows {
                let ins = min(4, rows - r)
                // element offsets of the four x rows (repeats past the batch end)
                let x0 = r * n, x1 = min(r + 1, rows - 1) * n
                let x2 = min(r + 2, rows - 1) * n, x3 = min(r + 3, rows - 1) * n
                let u0 = UnsafeRawPointer(x + x0), u1 = UnsafeRawPointer(x + x1)
                let u2 = UnsafeRawPointer(x + x2), u3 = UnsafeRawPointer(x + x3)
                var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
                var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
                var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a22 = SIMD8<Float>(), a23 = SIMD8<Float>()
                var b = 0
                while b < byteEnd {
                    let q0 = load(p0, b), q1 = load(p1, b), q2 = load(p2, b)
                    let v0 = load(u0, b)
                    fma(&a00, q0, v0); fma(&a10, q1, v0); fma(&a20, q2, v0)
                    let v1 = load(u1, b)
                    fma(&a01, q0, v1); fma(&a11, q1, v1); fma(&a21, q2, v1)
                    let v2 = load(u2, b)
                    fma(&a02, q0, v2); fma(&a12, q1, v2); fma(&a22, q2, v2)
                    let v3 = load(u3, b)
                    fma(&a03, q0, v3); fma(&a13, q1, v3); fma(&a23, q2, v3)
                    b &+= 32
                }
                // sums per weight row, lanes = the four input rows
                var s0 = SIMD4<Float>(a00.sum(), a01.sum(), a02.sum(), a03.sum())
                var s1 = SIMD4<Float>(a10.sum(), a11.sum(), a12.sum(), a13.sum())
                var s2 = SIMD4<Float>(a20.sum(), a21.sum(), a22.sum(), a23.sum())
                var i = vectorEnd
                while i < n {   // tail of a row length that is not a multiple of 8
                    let v = SIMD4<Float>(x[x0 + i], x[x1 + i], x[x2 + i], x[x3 + i])
                    s0 += w[w0 + i] * v; s1 += w[w1 + i] * v; s2 += w[w2 + i] * v
                    i += 1
                }
                let yr = y + r * outStride + o
                for k in 0..<ins {
                    let yk = yr + k * outStride
                    yk[0] = s0[k]
                    if outs > 1 { yk[1] = s1[k] }
                    if outs > 2 { yk[2] = s2[k] }
                }
                r += 4
            }
            o += 3
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: byte, as: SIMD8<Float>.self)
    }

    /// acc += a · b. A fused multiply-add only where the target has FMA in
    /// hardware (Package.swift defines LORAD_FMA with the x86-64 Haswell
    /// flags; every arm64 core has it): without it LLVM lowers the fused
    /// form to a libm `fmaf` call per lane, ~50× slower than mul + add.
    @inline(__always)
    private static func fma(_ acc: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        #if LORAD_FMA || arch(arm64)
        acc.addProduct(a, b)
        #else
        acc += a * b
        #endif
    }
}
