/// ‖W + s·B·A‖² per row, without forming W + s·B·A: each (out, in) row of
/// the sum exists only as a tile in registers, is squared and summed there,
/// and W is read once. This is DoRA's weight norm (PEFT `DoraLinearLayer.get_weight_norm`:
/// ‖W0 + s·B·A‖ over the input dimension); s multiplies each B value as it
/// is broadcast (the same F32 products as a pre-scaled copy of B, without
/// the copy).
///
/// Cost: out·in·r multiply-adds (the cross term ⟨W0ᵢ, (B·A)ᵢ⟩ needs them
/// whatever the order: the diagonal of W·(B·A)ᵀ has no cheaper form for
/// dense operands) plus one pass over W. Tiles are 4 rows × 16 columns:
/// 8 accumulators, 4 norm lanes, 2 A vectors and a broadcast fill the 16
/// AVX2 registers, and per rank step a tile does 8 FMAs for 6 loads, so the
/// loop is bound by the FMA units rather than by loads. In a release build it
/// runs at ≈ 0.8 of OpenBLAS sgemm's multiply-add rate per core; W·Aᵀ as an
/// sgemm per module (the expanded square) measured slower end to end (it
/// reads W twice: once in the sgemm, once for ‖Wᵢ‖²).
///
/// Precision: each element of W + B·A is formed in F32 (as PEFT forms it);
/// squares are summed in F32 lanes over at most `flushColumns` columns,
/// then in F64, so the result is good to a few F32 ulps whatever `in`.
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
        // Each part writes only result[rows of its blocks] and reads w, b, a.
        nonisolated(unsafe) let (w, b, a, result) = (w, b, a, result)
        pool.run(parts: parts) { part in
            var block = blocks * part / parts
            let end = blocks * (part + 1) / parts
            while block < end {
                let row = block * 4
                if row + 4 <= out {
                    fourRows(row, inFeatures: inFeatures, rank: rank, w: w, b: b, scale: scale, a: a, result: result)
                } else {
                    for r in row..<out { oneRow(r, inFeatures: inFeatures, rank: rank, w: w, b: b, scale: scale, a: a, result: result) }
                }
                block += 1
            }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Rows `row ..< row + 4`.
    static func fourRows(_ row: Int, inFeatures: Int, rank: Int, w: UnsafePointer<Float>,
                         b: UnsafePointer<Float>, scale: Float, a: UnsafePointer<Float>, result: UnsafeMutablePointer<Double>) {
        let w0 = w + row * inFeatures, w1 = w0 + inFeatures, w2 = w1 + inFeatures, w3 = w2 + inFeatures
        let b0 = b + row * rank, b1 = b0 + rank, b2 = b1 + rank, b3 = b2 + rank
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0               // F64 row sums
        var n0 = SIMD8<Float>(), n1 = n0, n2 = n0, n3 = n0        // F32 lanes since the last flush
        var sinceFlush = 0
        var j = 0
        while j + 16 <= inFeatures {
            var v00 = load(w0 + j), v01 = load(w0 + j + 8)
            var v10 = load(w1 + j), v11 = load(w1 + j + 8)
            var v20 = load(w2 + j), v21 = load(w2 + j + 8)
            var v30 = load(w3 + j), v31 = load(w3 + j + 8)
            var ak = a + j
            for k in 0..<rank {
                let a0 = load(ak), a1 = load(ak + 8)
                var s = SIMD8<Float>(repeating: scale * b0[k]); v00.multiplyAdd(s, a0); v01.multiplyAdd(s, a1)
                s = SIMD8<Float>(repeating: scale * b1[k]); v10.multiplyAdd(s, a0); v11.multiplyAdd(s, a1)
                s = SIMD8<Float>(repeating: scale * b2[k]); v20.multiplyAdd(s, a0); v21.multiplyAdd(s, a1)
                s = SIMD8<Float>(repeating: scale * b3[k]); v30.multiplyAdd(s, a0); v31.multiplyAdd(s, a1)
                ak += inFeatures
            }
            n0.multiplyAdd(v00, v00); n0.multiplyAdd(v01, v01)
            n1.multiplyAdd(v10, v10); n1.multiplyAdd(v11, v11)
            n2.multiplyAdd(v20, v20); n2.multiplyAdd(v21, v21)
            n3.multiplyAdd(v30, v30); n3.multiplyAdd(v31, v31)
            j += 16
            sinceFlush += 16
            if sinceFlush >= flushColumns {
                s0 += widenedSum(n0); s1 += widenedSum(n1); s2 += widenedSum(n2); s3 += widenedSum(n3)
                n0 = SIMD8(); n1 = n0; n2 = n0; n3 = n0
                sinceFlush = 0
            }
        }
        s0 += widenedSum(n0); s1 += widenedSum(n1); s2 += widenedSum(n2); s3 += widenedSum(n3)
        if j < inFeatures {
            s0 += tail(w0, b0, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
            s1 += tail(w1, b1, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
            s2 += tail(w2, b2, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
            s3 += tail(w3, b3, scale: scale, from: j, inFeatures: inFeatures, rank: rank, a: a)
        }
        result[row] = s0; result[row + 1] = s1; result[row + 2] = s2; result[row + 3] = s3
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
