/// ‖W + s·B·A‖² per row, without forming W + s·B·A: each (out, in) row of
/// the sum exists only as a tile in registers, is squared and summed there,
/// and W is read once. This is DoRA's weight norm (PEFT `DoraLinearLayer.get_weight_norm`:
/// ‖W0 + s·B·A‖ over the input dimension).
///
/// Cost: out·in·r multiply-adds (the cross term ⟨W0ᵢ, (B·A)ᵢ⟩ needs them
/// whatever the order: the diagonal of W·(B·A)ᵀ has no cheaper form for
/// dense operands) plus one pass over W. Tiles are 4 rows × 24 columns: 12
/// accumulators, 3 A vectors and one s·B vector fill the 16 AVX2 registers
/// (the 4 norm lanes are touched once per 24 columns, outside the rank
/// loop). s·B of a tile's 4 rows is packed first as ready-broadcast vectors,
/// (r, 4) of SIMD8, so a rank step is 7 plain loads for 12 FMAs and no
/// shuffles. Measured in `lorad-bench model --dora --threads 1`: 1.3× the
/// multiply-adds per CPU second of 4 × 16 tiles broadcasting from B, about
/// 0.6–0.7 of OpenBLAS sgemm's per-core rate; W·Aᵀ as an sgemm per module (the
/// expanded square) was slower end to end (its N = r is skinny, and it
/// reads W twice: once in the sgemm, once for ‖Wᵢ‖²).
///
/// Precision: each element of W + s·B·A is formed in F32 (as PEFT forms
/// it), s·B rounded to F32 once; squares are summed in F32 lanes over at
/// most `flushColumns` (+ 23) columns, then in F64, so the result is good to
/// a few F32 ulps whatever `in`.
public enum LowRankRowNorms {
    /// Columns summed in F32 lanes before the partial sums move to F64.
    static let flushColumns = 128

    /// result[o] = Σᵢ (W[o, i] + Σₖ (s·B[o, k])·A[k, i])² for o in 0..<out.
    /// - w: (out, in) row-major, row stride `in`
    /// - b: (out, r) row-major, unscaled; `scale` is s
    /// - a: (r, in) row-major
    /// - result: (out)
    /// Rows are split over `pool`'s threads in blocks of 4.
    public static func squared(out: Int, in inFeatures: Int, rank: Int,
                               w: UnsafePointer<Float>, b: UnsafePointer<Float>, scale: Float = 1, a: UnsafePointer<Float>,
                               result: UnsafeMutablePointer<Double>, pool: ComputePool = .shared) {
        let blocks = (out + 3) / 4
        let parts = min(blocks, out * inFeatures * max(1, rank) >= 1 << 16 ? pool.threadCount * 4 : 1)
        // Each part writes only result[rows of its blocks] and its own packing
        // buffer, and reads w, b, a.
        nonisolated(unsafe) let (w, b, a, result) = (w, b, a, result)
        pool.run(parts: parts) { part in
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 4 * max(rank, 1)) { packed in
                guard let p = packed.baseAddress else { return }   // (r, 4): s·B of a tile's rows, broadcast
                var block = blocks * part / parts
                let end = blocks * (part + 1) / parts
                while block < end {
                    let row = block * 4
                    if row + 4 <= out {
                        for k in 0..<rank {
                            for t in 0..<4 { p[4 * k + t] = SIMD8(repeating: scale * b[(row + t) * rank + k]) }
                        }
                        fourRows(row, inFeatures: inFeatures, rank: rank, w: w, packed: p, b: b, scale: scale, a: a, result: result)
                    } else {
                        for r in row..<out { oneRow(r, inFeatures: inFeatures, rank: rank, w: w, b: b, scale: scale, a: a, result: result) }
                    }
                    block += 1
                }
            }
        }
    }

    /// Rows `row ..< row + 4`, 24 columns per step, the columns past the
    /// last whole step row by row (`tail`).
    /// - packed: (r, 4) — s·B[row + t, k] broadcast, at 4·k + t
    static func fourRows(_ row: Int, inFeatures: Int, rank: Int, w: UnsafePointer<Float>, packed: UnsafePointer<SIMD8<Float>>,
                         b: UnsafePointer<Float>, scale: Float, a: UnsafePointer<Float>, result: UnsafeMutablePointer<Double>) {
        let w0 = w + row * inFeatures, w1 = w0 + inFeatures, w2 = w1 + inFeatures, w3 = w2 + inFeatures
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0               // F64 row sums
        var n0 = SIMD8<Float>(), n1 = n0, n2 = n0, n3 = n0        // F32 lanes since the last flush
        var sinceFlush = 0
        var j = 0
        while j + 24 <= inFeatures {
            var v00 = load(w0 + j), v01 = load(w0 + j + 8), v02 = load(w0 + j + 16)
            var v10 = load(w1 + j), v11 = load(w1 + j + 8), v12 = load(w1 + j + 16)
            var v20 = load(w2 + j), v21 = load(w2 + j + 8), v22 = load(w2 + j + 16)
            var v30 = load(w3 + j), v31 = load(w3 + j + 8), v32 = load(w3 + j + 16)
            var ak = a + j, pk = packed
            for _ in 0..<rank {
                let a0 = load(ak), a1 = load(ak + 8), a2 = load(ak + 16)
                var s = pk[0]; v00.multiplyAdd(s, a0); v01.multiplyAdd(s, a1); v02.multiplyAdd(s, a2)
                s = pk[1]; v10.multiplyAdd(s, a0); v11.multiplyAdd(s, a1); v12.multiplyAdd(s, a2)
                s = pk[2]; v20.multiplyAdd(s, a0); v21.multiplyAdd(s, a1); v22.multiplyAdd(s, a2)
                s = pk[3]; v30.multiplyAdd(s, a0); v31.multiplyAdd(s, a1); v32.multiplyAdd(s, a2)
                ak += inFeatures
                pk += 4
            }
            n0.multiplyAdd(v00, v00); n0.multiplyAdd(v01, v01); n0.multiplyAdd(v02, v02)
            n1.multiplyAdd(v10, v10); n1.multiplyAdd(v11, v11); n1.multiplyAdd(v12, v12)
            n2.multiplyAdd(v20, v20); n2.multiplyAdd(v21, v21); n2.multiplyAdd(v22, v22)
            n3.multiplyAdd(v30, v30); n3.multiplyAdd(v31, v31); n3.multiplyAdd(v32, v32)
            j += 24
            sinceFlush += 24
            if sinceFlush >= flushColumns {
                s0 += widenedSum(n0); s1 += widenedSum(n1); s2 += widenedSum(n2); s3 += widenedSum(n3)
                n0 = SIMD8(); n1 = n0; n2 = n0; n3 = n0
                sinceFlush = 0
            }
        }
        s0 += widenedSum(n0); s1 += widenedSum(n1); s2 += widenedSum(n2); s3 += widenedSum(n3)
        if j < inFeatures {
            let b0 = b + row * rank
            s0 += tail(w0, b0, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
            s1 += tail(w1, b0 + rank, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
            s2 += tail(w2, b0 + 2 * rank, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
            s3 += tail(w3, b0 + 3 * rank, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
        }
        result[row] = s0; result[row + 1] = s1; result[row + 2] = s2; result[row + 3] = s3
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// One row (the last rows of a matrix whose height is not a multiple of 4).
    static func oneRow(_ row: Int, inFeatures: Int, rank: Int, w: UnsafePointer<Float>,
                       b: UnsafePointer<Float>, scale: Float, a: UnsafePointer<Float>, result: UnsafeMutablePointer<Double>) {
        result[row] = tail(w + row * inFeatures, b + row * rank, scale: scale, from: 0, inFeatures: inFeatures, rank: rank, a: a)
    }

    /// Σ over columns `from ..< in` of one row, 8 columns at a time, then one by one.
    static func tail(_ wRow: UnsafePointer<Float>, _ bRow: UnsafePointer<Float>, scale: Float, from start: Int,
                     inFeatures: Int, rank: Int, a: UnsafePointer<Float>) -> Double {
        var sum = 0.0
        var n = SIMD8<Float>()
        var sinceFlush = 0
        var j = start
        while j + 8 <= inFeatures {
            var v = load(wRow + j)
            for k in 0..<rank { v.multiplyAdd(SIMD8(repeating: scale * bRow[k]), load(a + k * inFeatures + j)) }
            n.multiplyAdd(v, v)
            j += 8
            sinceFlush += 8
            if sinceFlush >= flushColumns {
                sum += widenedSum(n)
                n = SIMD8()
                sinceFlush = 0
            }
        }
        sum += widenedSum(n)
        while j < inFeatures {
            var v = wRow[j]
            for k in 0..<rank { v = v.addingProduct(scale * bRow[k], a[k * inFeatures + j]) }
            sum += Double(v) * Double(v)
            j += 1
        }
        return sum
    }

    /// The 8 lanes summed in F64.
    @inline(__always)
    static func widenedSum(_ v: SIMD8<Float>) -> Double {
        var s = 0.0
        for i in 0..<8 { s += Double(v[i]) }
        return s
    }
}
