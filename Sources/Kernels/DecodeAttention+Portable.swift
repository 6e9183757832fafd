/// The portable decode attention (Swift SIMD8: NEON on arm64), the
/// reference the C kernels are measured against.
extension DecodeAttention {
    /// Positions per block: 64 positions of a 64-wide head are 16 KiB of
    /// F32 K or V (8 KiB 16-bit), which every head of the group uses while
    /// they sit in L1.
    static let block = 64

    /// The portable path: a block of positions at a time, every head of the
    /// group over the block while it sits in L1. Head dimensions that are a
    /// multiple of 64 (SmolLM and TinyLlama 64, Llama 2/3 and Mistral 128)
    /// go 64 columns at a time with the query chunk — and, for the value
    /// pass, the 64 output accumulators — held in eight SIMD8 registers, so
    /// each position costs 8 loads and 8 FMAs per pass; other sizes use
    /// generic dot / axpy loops over 8 lanes and a scalar tail.
    @inline(__always)
    static func portable<E: WeightElements>(_: E.Type, q: UnsafePointer<Float>, heads: Int,
                                            keys: UnsafeRawPointer, values: UnsafeRawPointer, count: Int,
                                            headDim: Int, scale: Float, scores: UnsafeMutablePointer<Float>,
                                            out: UnsafeMutablePointer<Float>) {
        let rowBytes = headDim &* E.byteSize, chunks = headDim % 64 == 0 ? headDim / 64 : 0
        // Scores: s[h][t] = q_h · k_t
        var t0 = 0
        while t0 < count {
            let t1 = min(t0 &+ block, count)
            for h in 0..<heads {
                let qh = q + h &* headDim, s = scores + h &* count
                if chunks == 0 {
                    for t in t0..<t1 { s[t] = dot(E.self, qh, keys + t &* rowBytes, count: headDim) }
                    continue
                }
                for chunk in 0..<chunks {
                    let q8 = Chunk(UnsafeRawPointer(qh + chunk &* 64))
                    let k = keys + chunk &* 64 &* E.byteSize
                    for t in t0..<t1 {
                        let partial = q8.dot(E.self, k + t &* rowBytes)
                        s[t] = chunk == 0 ? partial : s[t] + partial
                    }
                }
            }
            t0 = t1
        }
        for h in 0..<heads {
            let s = scores + h &* count
            for t in 0..<count { s[t] *= scale }
            Softmax.inPlace(s, count: count)
        }
        // Values: out_h = Σ_t s[h][t] · v_t
        out.update(repeating: 0, count: heads &* headDim)
        t0 = 0
        while t0 < count {
            let t1 = min(t0 &+ block, count)
            for h in 0..<heads {
                let s = scores + h &* count, oh = out + h &* headDim
                if chunks == 0 {
                    for t in t0..<t1 { axpy(E.self, s[t], values + t &* rowBytes, into: oh, count: headDim) }
                    continue
                }
                for chunk in 0..<chunks {
                    let o = UnsafeMutableRawPointer(oh + chunk &* 64)
                    var acc = Chunk(UnsafeRawPointer(o))
                    let v = values + chunk &* 64 &* E.byteSize
                    for t in t0..<t1 { acc.add(E.self, s[t], times: v + t &* rowBytes) }
                    acc.store(to: o)
                }
            }
            t0 = t1
        }
    }

    /// Σ q[i] · k[i] for i < n; k holds `E` elements.
    @inline(__always)
    private static func dot<E: WeightElements>(_: E.Type, _ q: UnsafePointer<Float>, _ k: UnsafeRawPointer,
                                               count n: Int) -> Float {
        let qr = UnsafeRawPointer(q)
        var acc = SIMD8<Float>()
        var i = 0
        while i &+ 8 <= n {
            acc.multiplyAdd(qr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), E.load8(k, i &* E.byteSize))
            i &+= 8
        }
        var sum = acc.sum()
        while i < n { sum += q[i] * E.load1(k, i); i &+= 1 }
        return sum
    }

    /// o[i] += w · v[i] for i < n; v holds `E` elements.
    @inline(__always)
    private static func axpy<E: WeightElements>(_: E.Type, _ w: Float, _ v: UnsafeRawPointer,
                                                into o: UnsafeMutablePointer<Float>, count n: Int) {
        let raw = UnsafeMutableRawPointer(o), ws = SIMD8<Float>(repeating: w)
        var i = 0
        while i &+ 8 <= n {
            var acc = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            acc.multiplyAdd(ws, E.load8(v, i &* E.byteSize))
            raw.storeBytes(of: acc, toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < n { o[i] += w * E.load1(v, i); i &+= 1 }
    }

    /// 64 floats as eight SIMD8 lanes (kept in registers by the optimizer).
    private struct Chunk {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()

        /// 64 F32 values at p.
        @inline(__always)
        init(_ p: UnsafeRawPointer) {
            a0 = F32Elements.load8(p, 0); a1 = F32Elements.load8(p, 32)
            a2 = F32Elements.load8(p, 64); a3 = F32Elements.load8(p, 96)
            a4 = F32Elements.load8(p, 128); a5 = F32Elements.load8(p, 160)
            a6 = F32Elements.load8(p, 192); a7 = F32Elements.load8(p, 224)
        }

        /// Σ self · p[0..<64] (p holds `E` elements), two partial sums to
        /// halve the dependency chain.
        @inline(__always)
        func dot<E: WeightElements>(_: E.Type, _ p: UnsafeRawPointer) -> Float {
            let b = 8 &* E.byteSize
            var s = a0 * E.load8(p, 0), u = a1 * E.load8(p, b)
            s.multiplyAdd(a2, E.load8(p, 2 &* b)); u.multiplyAdd(a3, E.load8(p, 3 &* b))
            s.multiplyAdd(a4, E.load8(p, 4 &* b)); u.multiplyAdd(a5, E.load8(p, 5 &* b))
            s.multiplyAdd(a6, E.load8(p, 6 &* b)); u.multiplyAdd(a7, E.load8(p, 7 &* b))
            return (s + u).sum()
        }

        /// self += w · p[0..<64] (p holds `E` elements)
        @inline(__always)
        mutating func add<E: WeightElements>(_: E.Type, _ w: Float, times p: UnsafeRawPointer) {
            let s = SIMD8<Float>(repeating: w), b = 8 &* E.byteSize
            a0.multiplyAdd(s, E.load8(p, 0)); a1.multiplyAdd(s, E.load8(p, b))
            a2.multiplyAdd(s, E.load8(p, 2 &* b)); a3.multiplyAdd(s, E.load8(p, 3 &* b))
            a4.multiplyAdd(s, E.load8(p, 4 &* b)); a5.multiplyAdd(s, E.load8(p, 5 &* b))
            a6.multiplyAdd(s, E.load8(p, 6 &* b)); a7.multiplyAdd(s, E.load8(p, 7 &* b))
        }

        @inline(__always)
        func store(to p: UnsafeMutableRawPointer) {
            p.storeBytes(of: a0, toByteOffset: 0, as: SIMD8<Float>.self)
            p.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            p.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
            p.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
            p.storeBytes(of: a4, toByteOffset: 128, as: SIMD8<Float>.self)
            p.storeBytes(of: a5, toByteOffset: 160, as: SIMD8<Float>.self)
            p.storeBytes(of: a6, toByteOffset: 192, as: SIMD8<Float>.self)
            p.storeBytes(of: a7, toByteOffset: 224, as: SIMD8<Float>.self)
        }
    }
}
