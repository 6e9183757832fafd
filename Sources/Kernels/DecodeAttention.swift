/// The query heads of one decode row that share a key/value head attending
/// over their sequence's cache: per head, scores = q·kᵀ · scale over
/// positions 0..<count, softmax, out = scores·V — transformers'
/// `eager_attention_forward` for one row, with `repeat_kv`'s sharing.
///
/// The attention hot loop of batched decode. Head dimensions that are a
/// multiple of 64 (SmolLM and TinyLlama 64, Llama 2/3 and Mistral 128) go 64
/// columns at a time with the query chunk — and, for the value pass, the 64
/// output accumulators — held in eight SIMD8 registers, so each position
/// costs 8 loads and 8 FMAs per pass; other sizes use the generic dot / axpy
/// loops, one head at a time.
public enum DecodeAttention {
    /// The `heads` query heads that share one key/value head (grouped-query
    /// attention; 1 for plain multi-head attention), the cache read once
    /// for all of them: positions go in blocks of 64 (16 KiB of K or V for a
    /// 64-wide head) that every head of the group uses while they sit in L1.
    /// A separate pass per head streamed the cache `heads` times; at 1024
    /// positions, 8 sequences' F32 caches are ~380 MB a step, as much traffic
    /// as the weights.
    /// - q: (heads, headDim) consecutive rotated queries; out: (heads, headDim)
    /// - keys, values: position 0 of this KV head's K / V columns; position t
    ///   is `stride` floats further (the cache's kvHeads·headDim row width)
    /// - scores: heads × count floats of scratch
    public static func group(q: UnsafePointer<Float>, heads: Int, keys: UnsafePointer<Float>,
                             values: UnsafePointer<Float>, stride: Int, count: Int, headDim: Int, scale: Float,
                             scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        guard headDim % 64 == 0 else {
            for h in 0..<heads {
                let qh = q + h * headDim, s = scores + h * count, o = out + h * headDim
                for t in 0..<count { s[t] = VectorMath.dot(qh, keys + t * stride, count: headDim) * scale }
                Softmax.inPlace(s, count: count)
                o.update(repeating: 0, count: headDim)
                for t in 0..<count { VectorMath.axpy(s[t], values + t * stride, into: o, count: headDim) }
            }
            return
        }
        let rowBytes = stride &* 4, chunks = headDim / 64, block = 64
        var t0 = 0
        while t0 < count {
            let t1 = min(t0 + block, count)
            for h in 0..<heads {
                let s = scores + h * count
                for chunk in 0..<chunks {
                    let q8 = Chunk(UnsafeRawPointer(q + h * headDim + chunk * 64))
                    let k = UnsafeRawPointer(keys + chunk * 64)
                    for t in t0..<t1 {
                        let partial = q8.dot(k + t &* rowBytes)
                        s[t] = chunk == 0 ? partial : s[t] + partial
                    }
                }
            }
            t0 = t1
        }
        for h in 0..<heads {
            let s = scores + h * count
            for t in 0..<count { s[t] *= scale }
            Softmax.inPlace(s, count: count)
        }
        out.update(repeating: 0, count: heads * headDim)
        t0 = 0
        while t0 < count {
            let t1 = min(t0 + block, count)
            for h in 0..<heads {
                let s = scores + h * count
                for chunk in 0..<chunks {
                    let o = UnsafeMutableRawPointer(out + h * headDim + chunk * 64)
                    var acc = Chunk(UnsafeRawPointer(o))
                    let v = UnsafeRawPointer(values + chunk * 64)
                    for t in t0..<t1 { acc.add(s[t], times: v + t &* rowBytes) }
                    acc.store(to: o)
                }
            }
            t0 = t1
        }
    }

    /// 64 floats as eight SIMD8 lanes (kept in registers by the optimizer).
    private struct Chunk {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()

        @inline(__always)
        init(_ p: UnsafeRawPointer) {
            a0 = load(p, 0); a1 = load(p, 32); a2 = load(p, 64); a3 = load(p, 96)
            a4 = load(p, 128); a5 = load(p, 160); a6 = load(p, 192); a7 = load(p, 224)
        }

        /// Σ self · p[0..<64], two partial sums to halve the dependency chain.
        @inline(__always)
        func dot(_ p: UnsafeRawPointer) -> Float {
            var s = a0 * load(p, 0), u = a1 * load(p, 32)
            s.multiplyAdd(a2, load(p, 64)); u.multiplyAdd(a3, load(p, 96))
            s.multiplyAdd(a4, load(p, 128)); u.multiplyAdd(a5, load(p, 160))
            s.multiplyAdd(a6, load(p, 192)); u.multiplyAdd(a7, load(p, 224))
            return (s + u).sum()
        }

        /// self += w · p[0..<64]
        @inline(__always)
        mutating func add(_ w: Float, times p: UnsafeRawPointer) {
            let s = SIMD8<Float>(repeating: w)
            a0.multiplyAdd(s, load(p, 0)); a1.multiplyAdd(s, load(p, 32))
            a2.multiplyAdd(s, load(p, 64)); a3.multiplyAdd(s, load(p, 96))
            a4.multiplyAdd(s, load(p, 128)); a5.multiplyAdd(s, load(p, 160))
            a6.multiplyAdd(s, load(p, 192)); a7.multiplyAdd(s, load(p, 224))
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

        @inline(__always)
        private func load(_ p: UnsafeRawPointer, _ byte: Int) -> SIMD8<Float> {
            p.loadUnaligned(fromByteOffset: byte, as: SIMD8<Float>.self)
        }
    }
}
