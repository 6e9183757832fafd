import Kernels

extension LlamaModel {
    /// Grouped-query causal attention of every row over its own sequence's
    /// cache, positions 0...position (transformers `eager_attention_forward`:
    /// softmax(q·kᵀ · scaling) · v, with `repeat_kv` mapping query head h to
    /// key/value head h / (heads / kvHeads)).
    ///
    /// - qkv: (n, F) rotated q ; k ; v rows (only q is read here)
    /// - out: (n, Q)
    /// - scores: at least max(position) + 1 floats of scratch
    func attend(_ batch: [ForwardRow], layer: Int, qkv: UnsafePointer<Float>,
                out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        let c = config
        let hd = c.headDim, qDim = c.queryDim, f = qDim + 2 * c.keyValueDim
        let group = c.numAttentionHeads / c.numKeyValueHeads
        for (i, row) in batch.enumerated() {
            let seq = row.sequence
            let keys = seq.key(layer: layer, position: 0), values = seq.value(layer: layer, position: 0)
            let width = seq.rowWidth
            let count = row.position + 1
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
    }
}
