import CPUHints

extension BatchedGEMV {
    /// The Swift SIMD8 implementation, generic over the weight format `E`:
    /// the arm64 path (NEON) and, on x86-64, the reference the C paths are
    /// tested against and the fallback where a path is unavailable.
    enum Portable<E: WeightElements> {
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
        static func block(rows: Int, outRange: Range<Int>, inFeatures n: Int, outStride: Int,
                          w: UnsafeRawPointer, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
            let e = E.byteSize, rowBytes = n &* e
            let vectorEnd = n & ~7
            let groups = (rows + 3) / 4
            // Column blocks (in elements, multiples of 8): one for ≤ 4 rows.
            let blockCount = groups == 1 ? 1 : max(1, (vectorEnd + blockFloats - 1) / blockFloats)
            let blockLength = ((vectorEnd / blockCount) + 7) & ~7
            let last = outRange.upperBound - 1
            withUnsafeTemporaryAllocation(of: Tile.self, capacity: groups) { parked in
                var o = outRange.lowerBound
                while o <= last {
                    // Raw row pointers and wrapping offsets keep Swift's overflow
                    // checks out of the inner loop (they cost more than the math).
                    // The three W rows (the last repeated past the range end):
                    let p0 = w + o * rowBytes, p1 = w + min(o + 1, last) * rowBytes
                    let p2 = w + min(o + 2, last) * rowBytes
                    // The next tile's rows (prefetching past the end of W is
                    // harmless: prefetches never fault).
                    let n0 = w + (o + 3) * rowBytes, n1 = n0 + rowBytes, n2 = n1 + rowBytes
                    for k in 0..<blockCount {
                        let lo = min(k * blockLength, vectorEnd), hi = min(lo + blockLength, vectorEnd)
                        // What to prefetch: row i's next block, or after the last
                        // block the next tile's first; `pf + c · e` for column c.
                        let more = k + 1 < blockCount
                        let shift = more ? (hi - lo) * e : -lo * e
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
                                accumulate(&t, p0, p1, p2, u0, u1, u2, u3, columns: lo..<hi, prefetch: (f0, f1, f2))
                            } else {
                                accumulate(&t, p0, p1, p2, u0, u1, u2, u3, columns: lo..<hi, prefetch: nil)
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

        /// One tile's accumulators: `aIJ` = weight row I × input row J, 8 lanes.
        struct Tile {
            var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
            var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
            var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a22 = SIMD8<Float>(), a23 = SIMD8<Float>()
        }

        /// t += W rows (p0, p1, p2) ⊗ x rows (u0…u3) over `columns` (multiples
        /// of 8), prefetching 3 cache lines (one per stream) per 64 bytes of W.
        @inline(__always)
        static func accumulate(_ t: inout Tile, _ p0: UnsafeRawPointer, _ p1: UnsafeRawPointer, _ p2: UnsafeRawPointer,
                               _ u0: UnsafeRawPointer, _ u1: UnsafeRawPointer, _ u2: UnsafeRawPointer, _ u3: UnsafeRawPointer,
                               columns: Range<Int>,
                               prefetch: (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer)?) {
            let e = E.byteSize
            var c = columns.lowerBound
            let end = columns.upperBound
            while c < end {
                let b = c &* e, xb = c &* 4
                if let (f0, f1, f2) = prefetch, b & 63 == 0 {
                    lorad_prefetch(f0 + b); lorad_prefetch(f1 + b); lorad_prefetch(f2 + b)
                }
                let q0 = E.load8(p0, b), q1 = E.load8(p1, b), q2 = E.load8(p2, b)
                let v0 = load(u0, xb)
                t.a00.multiplyAdd(q0, v0); t.a10.multiplyAdd(q1, v0); t.a20.multiplyAdd(q2, v0)
                let v1 = load(u1, xb)
                t.a01.multiplyAdd(q0, v1); t.a11.multiplyAdd(q1, v1); t.a21.multiplyAdd(q2, v1)
                let v2 = load(u2, xb)
                t.a02.multiplyAdd(q0, v2); t.a12.multiplyAdd(q1, v2); t.a22.multiplyAdd(q2, v2)
                let v3 = load(u3, xb)
                t.a03.multiplyAdd(q0, v3); t.a13.multiplyAdd(q1, v3); t.a23.multiplyAdd(q2, v3)
                c &+= 8
            }
        }

        /// Horizontal sums of a finished tile, plus the columns past the last
        /// multiple of 8, into y[rows][outs].
        @inline(__always)
        static func store(_ t: Tile, rows: Range<Int>, outs: ClosedRange<Int>, inFeatures n: Int, vectorEnd: Int,
                          w: UnsafeRawPointer, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, outStride: Int) {
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
                    s0 += E.load1(w, w0 + i) * v; s1 += E.load1(w, w1 + i) * v; s2 += E.load1(w, w2 + i) * v
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
}
