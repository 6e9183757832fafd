import Kernels

extension LlamaModel {
    /// Grouped-query causal attention of every row over its own sequence's
    /// cache, positions 0...position (transformers `eager_attention_forward`:
    /// softmax(q·kᵀ · scaling) · v, with `repeat_kv` mapping query head h to
    /// key/value head h / (heads / kvHeads)) — in a sliding layer only the
    /// last `window` of them, position − window + 1 ... position
    /// (`sliding_window_causal_mask_function`). The cache keeps every
    /// position either way.
    ///
    /// Consecutive rows of one sequence (a prefill chunk) are done per head
    /// with two sgemm calls — attention is O(n²) in the prompt length and
    /// would dominate prefill as scalar loops; single rows (decode) use dot
    /// products over the cache.
    ///
    /// - qkv: (n, F) rotated q ; k ; v rows (only q is read here)
    /// - out: (n, Q)
    /// - segments: `AttentionSegments(batch)`, computed once per step
    /// - scores: `segments.scoreScratch` floats
    /// - widened: `segments.widenScratch` floats
    /// - path: the decode rows' `DecodeAttention` implementation
    func attend(_ batch: [ForwardRow], segments: AttentionSegments, layer: Int, qkv: UnsafePointer<Float>,
                out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                widened: UnsafeMutablePointer<Float>, path: KernelPath, pool: ComputePool) {
        let singles = segments.singles
        let window = config.attentionWindow(layer: layer)
        if !singles.isEmpty {
            // Decode rows: every (row, key/value head) pair is independent —
            // its own output slices and score scratch — so they spread over
            // `pool`'s threads (a batch of 8 has 24 such parts per layer on
            // SmolLM's 3 KV heads), each reading its cache slice once for
            // the query heads that share it.
            let kvHeads = config.numKeyValueHeads
            let stride = segments.longestSingle * (config.numAttentionHeads / kvHeads)
            nonisolated(unsafe) let (qkv, out, scores) = (qkv, out, scores)
            pool.run(parts: singles.count * kvHeads) { [self] part in
                let i = singles[part / kvHeads]
                attendOne(batch[i], row: i, kvHead: part % kvHeads, layer: layer, window: window, qkv: qkv, out: out,
                          scores: scores + part * stride, path: path)
            }
        }
        for rows in segments.runs {
            attendRun(batch, rows: rows, layer: layer, window: window, qkv: qkv, out: out, scores: scores, widened: widened)
        }
    }

    /// The first position a query at `position` sees: 0, or in a sliding
    /// layer position − window + 1.
    @inline(__always)
    private static func firstVisible(_ position: Int, window: Int?) -> Int {
        window.map { max(0, position + 1 - $0) } ?? 0
    }

    /// One row, the query heads of one key/value head, over its visible
    /// positions (`DecodeAttention.group` on that slice of the cache).
    private func attendOne(_ r: ForwardRow, row i: Int, kvHead: Int, layer: Int, window: Int?, qkv: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>, path: KernelPath) {
        let c = config
        let hd = c.headDim, qDim = c.queryDim, f = qDim + 2 * c.keyValueDim
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let seq = r.sequence
        let firstHead = kvHead * group
        let first = Self.firstVisible(r.position, window: window)
        let skipped = first * hd * seq.format.byteSize   // bytes of the positions before the window
        DecodeAttention.group(q: qkv + i * f + firstHead * hd, heads: group,
                              keys: seq.keys(layer: layer, head: kvHead) + skipped,
                              values: seq.values(layer: layer, head: kvHead) + skipped,
                              format: seq.format, count: r.position + 1 - first, headDim: hd, scale: attentionScale,
                              scores: scores, out: out + i * qDim + firstHead * hd, path: path)
    }

    /// m consecutive rows of one sequence at positions p0 ..< p0 + m: per
    /// head S = Q·Kᵀ·scale (m, L), causal softmax per row, O = S·V (m, hd).
    /// A 16-bit cache is widened (exactly) a KV head at a time into
    /// `widened` for sgemm, so prefill sees the very K/V values decode
    /// reads: the chunk's own rows included, as rounded when cached.
    private func attendRun(_ batch: [ForwardRow], rows: Range<Int>, layer: Int, window: Int?, qkv: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                           widened: UnsafeMutablePointer<Float>) {
        let c = config
        let hd = c.headDim, qDim = c.queryDim, f = qDim + 2 * c.keyValueDim
        let group = c.numAttentionHeads / c.numKeyValueHeads
        let seq = batch[rows.lowerBound].sequence
        let m = rows.count, first = rows.lowerBound
        let length = batch[rows.upperBound - 1].position + 1   // L
        for kvHead in 0..<c.numKeyValueHeads {
            // This KV head's cache as F32: (L, hd) each, contiguous.
            let keys: UnsafePointer<Float>, values: UnsafePointer<Float>
            if seq.format == .f32 {
                keys = UnsafePointer(seq.keys(layer: layer, head: kvHead).assumingMemoryBound(to: Float.self))
                values = UnsafePointer(seq.values(layer: layer, head: kvHead).assumingMemoryBound(to: Float.self))
            } else {
                Widening.toFloat(seq.keys(layer: layer, head: kvHead), format: seq.format, into: widened,
                                 count: length * hd)
                Widening.toFloat(seq.values(layer: layer, head: kvHead), format: seq.format,
                                 into: widened + length * hd, count: length * hd)
                keys = UnsafePointer(widened)
                values = UnsafePointer(widened + length * hd)
            }
            for head in (kvHead * group)..<((kvHead + 1) * group) {
                // S = scale · Q (m, hd; row stride F) · K (L, hd)ᵀ : (m, L)
                BLAS.gemmABt(m: m, n: length, k: hd, alpha: attentionScale,
                             a: qkv + first * f + head * hd, lda: f,
                             b: keys, ldb: hd, c: scores, ldc: length)
                for r in 0..<m {
                    let position = batch[first + r].position
                    let start = Self.firstVisible(position, window: window), visible = position + 1
                    let s = scores + r * length
                    s.update(repeating: 0, count: start)   // sliding-window mask
                    Softmax.inPlace(s + start, count: visible - start)
                    (s + visible).update(repeating: 0, count: length - visible)   // causal mask
                }
                // O = S (m, L) · V (L, hd) : (m, hd) into out rows (stride Q)
                BLAS.gemmAB(m: m, n: hd, k: length, a: scores, lda: length,
                            b: values, ldb: hd,
                            c: out + first * qDim + head * hd, ldc: qDim)
            }
        }
    }
}
