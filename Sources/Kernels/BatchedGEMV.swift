import CPUHints
/// y = x · Wᵀ for a few to a few dozen rows (batched decode), streaming W once.
///
/// Why not sgemm: for small m OpenBLAS packs the whole weight matrix first
/// (`sgemm_incopy`), an extra read and write of W on a memory-bound step,
/// and calling gemv per row streams W m times (PERF-NOTES: sgemm at m = 8
/// reaches 45 GFLOP/s, far under the bandwidth limit). Here each weight row
/// is loaded once from memory and multiplied against every input row while
/// it sits in L1. This is the batched-decode hot spot: every projection of
/// a step of 2–32 rows, the lm_head included, runs here (one row goes to
/// OpenBLAS's gemv, see `LlamaModel.pool(forRows:)`).
public enum BatchedGEMV {
    /// Up to this many rows this kernel beats OpenBLAS's sgemm (which packs
    /// W before multiplying) on the SmolLM-135M matrices. Measured on the
    /// 2-core EPYC, 2 threads, one pass over every projection of the model
    /// (30 layers + lm_head), best of 8, same run — this kernel vs sgemm, ms:
    /// 1 row 20.9 vs 49.9; 4: 22.9 vs 88.6; 8: 27.9 vs 84.9; 12: 37.3 vs 141;
    /// 16: 46.5 vs 56.7; 24: 71.1 vs 118; 32: 71.5 vs 76.4. Past 32 the
    /// input rows outgrow L1 and sgemm's compute efficiency wins.
    /// One row: as fast as OpenBLAS's gemv in isolation (20.9 ms here), but
    /// the forward pass keeps one-row steps on gemv (see `LlamaModel.pool(forRows:)`).
    public static let maxRows = 32

    /// y (rows, out) = x (rows, in) · W (out, in)ᵀ, every matrix row-major and dense.
    /// Splits the output rows over the pool's threads (decode needs both
    /// cores streaming weights, PERF-NOTES), so each streams its own
    /// contiguous share of W.
    public static func multiply(rows: Int, out: Int, in inFeatures: Int,
                                w: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                y: UnsafeMutablePointer<Float>, pool: ComputePool = .shared) {
        let parts = out >= 256 ? pool.threadCount : 1
        if parts == 1 {
            block(rows: rows, outRange: 0..<out, inFeatures: inFeatures, outStride: out, w: w, x: x, y: y)
            return
        }
        // Each worker writes a disjoint column range of y and only reads w
        // and x, so sharing the raw pointers across the workers is safe.
        nonisolated(unsafe) let (w, x, y) = (w, x, y)
        pool.run(parts: parts) { part in
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
    ///
    /// Memory: while a tile is multiplied, the weights it needs next are
    /// prefetched, so streaming W overlaps the arithmetic (without it one
    /// core pulled ~10 GB/s and the two fell well short of the bandwidth
    /// OpenBLAS's gemv reaches). Up to 4 input rows the tile's rows are read
    /// in one pass and the next tile is prefetched. Beyond 4 the columns are
    /// cut into blocks of ≤ `blockFloats`: each block of the 3 weight rows is
    /// used by every group of 4 input rows while it sits in L1 (its
    /// accumulators parked in a small scratch between blocks), and the first
    /// group prefetches the next block. One pass over W either way.
    private static func block(rows: Int, outRange: Range<Int>, inFeatures n: Int, outStride: Int,
                              w: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let vectorEnd = n & ~7
        let groups = (rows + 3) / 4
        // Column blocks (in floats, multiples of 8): one for ≤ 4 rows.
        let blockCount = groups == 1 ? 1 : max(1, (vectorEnd + blockFloats - 1) / blockFloats)
        let blockLength = ((vectorEnd / blockCount) + 7) & ~7
        let last = outRange.upperBound - 1
        withUnsafeTemporaryAllocation(of: Tile.self, capacity: groups) { parked in
            var o = outRange.lowerBound
            while o <= last {
                // Raw row pointers and wrapping offsets keep Swift's overflow
                // checks out of the inner loop (they cost more than the math).
                // The three W rows (the last repeated past the range end):
                let p0 = UnsafeRawPointer(w + o * n), p1 = UnsafeRawPointer(w + min(o + 1, last) * n)
                let p2 = UnsafeRawPointer(w + min(o + 2, last) * n)
                // The next tile's rows (prefetching past the end of W is
                // harmless: prefetches never fault).
                let n0 = UnsafeRawPointer(w + (o + 3) * n), n1 = n0 + n * 4, n2 = n1 + n * 4
                for k in 0..<blockCount {
                    let lo = min(k * blockLength, vectorEnd), hi = min(lo + blockLength, vectorEnd)
                    let bytes = (lo * 4)..<(hi * 4)
                    // What to prefetch: row i's next block, or after the last
                    // block the next tile's first; `pf + b` for b in `bytes`.
                    let more = k + 1 < blockCount
                    let shift = more ? bytes.count : -bytes.lowerBound
                    let f0 = (more ? p0 : n0) + shift, f1 = (more ? p1 : n1) + shift, f2 = (more ? p2 : n2) + shift
                    for g in 0..<groups {
                        let r = 4 * g
                        // the four x rows (the last repeated past the batch end)
                        let u0 = UnsafeRawPointer(x + r * n), u1 = UnsafeRawPointer(x + min(r + 1, rows - 1) * n)
                        let u2 = UnsafeRawPointer(x + min(r + 2, rows - 1) * n)
                        let u3 = UnsafeRawPointer(x + min(r + 3, rows - 1) * n)
                        var t = k == 0 ? Tile() : parked[g]
                        // Two call sites, so each inlined copy of the loop has
                        // its prefetch decision made at compile time.
                        if g == 0 {
                            accumulate(&t, p0, p1, p2, u0, u1, u2, u3, bytes: bytes, prefetch: (f0, f1, f2))
                        } else {
                            accumulate(&t, p0, p1, p2, u0, u1, u2, u3, bytes: bytes, prefetch: nil)
                        }
                        parked[g] = t
                    }
                }
                for g in 0..<groups {
                    store(parked[g], rows: 4 * g..<min(4 * g + 4, rows), outs: o...min(o + 2, last),
                          inFeatures: n, vectorEnd: vectorEnd, w: w, x: x, y: y, outStride: outStride)
                }
                o += 3
            }
        }
    }

    /// Column block length, in floats, for more than 4 rows: at batch 8 the
    /// block's 3 weight rows, 8 input rows and the prefetched next block
    /// take 14 KiB of a 32 KiB L1 data cache (measured against 512: slower
    /// at 8 rows). Toward `maxRows` the input rows alone fill L1, which is
    /// where sgemm catches up.
    static let blockFloats = 256

    /// One tile's accumulators: `aIJ` = weight row I × input row J, 8 lanes.
    private struct Tile {
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
        var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
        var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a22 = SIMD8<Float>(), a23 = SIMD8<Float>()
    }

    /// t += W rows (p0, p1, p2) ⊗ x rows (u0…u3) over byte columns `bytes`,
    /// prefetching 3 cache lines (one per stream) per 64 bytes.
    @inline(__always)
    private static func accumulate(_ t: inout Tile, _ p0: UnsafeRawPointer, _ p1: UnsafeRawPointer, _ p2: UnsafeRawPointer,
                                   _ u0: UnsafeRawPointer, _ u1: UnsafeRawPointer, _ u2: UnsafeRawPointer, _ u3: UnsafeRawPointer,
                                   bytes: Range<Int>,
                                   prefetch: (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer)?) {
        var b = bytes.lowerBound
        let end = bytes.upperBound
        while b < end {
            if let (f0, f1, f2) = prefetch, b & 63 == 0 {
                lorad_prefetch(f0 + b); lorad_prefetch(f1 + b); lorad_prefetch(f2 + b)
            }
            let q0 = load(p0, b), q1 = load(p1, b), q2 = load(p2, b)
            let v0 = load(u0, b)
            t.a00.multiplyAdd(q0, v0); t.a10.multiplyAdd(q1, v0); t.a20.multiplyAdd(q2, v0)
            let v1 = load(u1, b)
            t.a01.multiplyAdd(q0, v1); t.a11.multiplyAdd(q1, v1); t.a21.multiplyAdd(q2, v1)
            let v2 = load(u2, b)
            t.a02.multiplyAdd(q0, v2); t.a12.multiplyAdd(q1, v2); t.a22.multiplyAdd(q2, v2)
            let v3 = load(u3, b)
            t.a03.multiplyAdd(q0, v3); t.a13.multiplyAdd(q1, v3); t.a23.multiplyAdd(q2, v3)
            b &+= 32
        }
    }

    /// Horizontal sums of a finished tile, plus the columns past the last
    /// multiple of 8, into y[rows][outs].
    @inline(__always)
    private static func store(_ t: Tile, rows: Range<Int>, outs: ClosedRange<Int>, inFeatures n: Int, vectorEnd: Int,
                              w: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, outStride: Int) {
        // sums per weight row, lanes = the four input rows
        var s0 = SIMD4<Float>(t.a00.sum(), t.a01.sum(), t.a02.sum(), t.a03.sum())
        var s1 = SIMD4<Float>(t.a10.sum(), t.a11.sum(), t.a12.sum(), t.a13.sum())
        var s2 = SIMD4<Float>(t.a20.sum(), t.a21.sum(), t.a22.sum(), t.a23.sum())
        if vectorEnd < n {
            let r = rows.lowerBound, lastRow = rows.upperBound - 1, o = outs.lowerBound, lastOut = outs.upperBound
            let x0 = r * n, x1 = min(r + 1, lastRow) * n, x2 = min(r + 2, lastRow) * n, x3 = min(r + 3, lastRow) * n
            let w0 = o * n, w1 = min(o + 1, lastOut) * n, w2 = min(o + 2, lastOut) * n
            for i in vectorEnd..<n {
                let v = SIMD4<Float>(x[x0 + i], x[x1 + i], x[x2 + i], x[x3 + i])
                s0 += w[w0 + i] * v; s1 += w[w1 + i] * v; s2 += w[w2 + i] * v
            }
        }
        for (k, row) in rows.enumerated() {
            let yk = y + row * outStride + outs.lowerBound
            yk[0] = s0[k]
            if outs.count > 1 { yk[1] = s1[k] }
            if outs.count > 2 { yk[2] = s2[k] }
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: byte, as: SIMD8<Float>.self)
    }
}
