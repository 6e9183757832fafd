import Kernels

extension LlamaModel {
    /// Grouped-query causal attention of every row over its own sequence's
    /// cache, positions 0...position (transformers `eager_attention_forward`:
    /// softmax(q·kᵀ · scaling) · v, with `repeat_kv` mapping query head h to
    /// key/value head h / (heads / kvHeads)).
    ///
    /// Consecutive rows of one sequence (a prefill chunk) are done per head
    /// with two sgemm calls — attention is O(n²) in the prompt length and
    /// would dominate prefill as scalar loops; single rows (decode) use dot
    /// products over the cache.
    ///
    /// - qkv: (n, F) rotated q ; k ; v rows (only q is read here)
    /// - out: (n, Q)
    /// - scores: at least (longest run of rows) × (its sequence length) floats
    func attend(_ batch: [ForwardRow], layer: Int, qkv: UnsafePointer<Float>,
                out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        var start = 0
        while start < batch.count {
            var end = start + 1
            while end < batch.count, batch[end].sequence === batch[start].sequence { end += 1 }
            if end - start == 1 {
                attendOne(batch[start], row: start, layer: layer, qkv: qkv, out: out, scores: scores)
            } else {
                attendRun(batch, rows: start..<end, layer: layer, qkv: qkv, out: out, scores: scores)
            }
            start = end
        }
    }

    /// Longest run of consecutive rows of one sequence × that sequence's
    /// length after the step: the score scratch `attend` needs.
    static func scoreScratch(_ batch: [ForwardRow]) -> Int {
        var need = 0, start = 0
        while start < batch.count {
            var end = start + 1
            while end < batch.count, batch[end].sequence === batch[start].sequence { end += 1 }
            need = max(need, (end - start) * (batch[end - 1].position + 1))
            start = end
        }
        return need
    }

    /// One row: scores over positions 0...position by dot products.
    private func attendOne(_ r: ForwardRow, row i: Int, layer: Int, qkv: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        let c = config
        let hd = c.headDim, qDim = c.queryDim, f = qDim + 2 * c.keyValueDim
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let seq = r.sequence
        let keys = seq.key(layer: layer, position: 0), values = seq.value(layer: layer, position: 0)
        let width = seq.rowWidth
        let count = r.position + 1
        for head in 0..<c.numAttentionHeads {
            let q = qkv + i * f + head * hd
            let kvOffset = (head / group) * hd
            for t in 0..<count {
                scores[t] = VectorMath.dot(q, keys + t * width + kvOffset, count: hd) * attentionScale
            }
            Softmax.inPlace(scores, count: count)
            let o = out + i * qDim + head * hd
            o.update(repeating: 0, count: hd)
            for t in 0..<count {
                VectorMath.axpy(scores[t], values + t * width + kvOffset, into: o, count: hd)
            }
        }
    }

    /// m consecutive rows of one sequence at positions p0 ..< p0 + m: per
    /// head S = Q·Kᵀ·scale (m, L), causal softmax per row, O = S·V (m, hd).
    private func attendRun(_ batch: [ForwardRow], rows: Range<Int>, layer: Int, qkv: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        let c = config
        let hd = c.headDim, qDim = c.queryDim, kvDim = c.keyValueDim, f = qDim + 2 * kvDim
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let seq = batch[rows.lowerBound].sequence
        let keys = seq.key(layer: layer, position: 0), values = seq.value(layer: layer, position: 0)
        let m = rows.count, first = rows.lowerBound
        let length = batch[rows.upperBound - 1].position + 1   // L
        for head in 0..<c.numAttentionHeads {
            let kvOffset = (head / group) * hd
            // S = scale · Q (m, hd; row stride F) · K (L, hd; row stride KV)ᵀ : (m, L)
            BLAS.gemmABt(m: m, n: length, k: hd, alpha: attentionScale,
                         a: qkv + first * f + head * hd, lda: f,
                         b: keys + kvOffset, ldb: kvDim, c: scores, ldc: length)
            for r in 0..<m {
                let visible = batch[first + r].position + 1
                let s = scores + r * length
                Softmax.inPlace(s, count: visible)
                (s + visible).update(repeating: 0, count: length - visible)   // causal mask
            }
            // O = S (m, L) · V (L, hd; row stride KV) : (m, hd) into out rows (stride Q)
            BLAS.gemmAB(m: m, n: hd, k: length, a: scores, lda: length,
                        b: values + kvOffset, ldb: kvDim,
                        c: out + first * qDim + head * hd, ldc: qDim)
        }
    }
}
