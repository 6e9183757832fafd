import Kernels
import LoRA

// The hot loop. Every BLAS call for a projection lives in this file, in the
// order transformers' LlamaDecoderLayer (and Qwen2/Qwen3DecoderLayer) runs them:
//   x ← x + o_proj(attn(rope(qknorm(q), qknorm(k)), v)),  q,k,v = proj(rmsnorm(x))
//   x ← x + down_proj(silu(gate_proj(h)) · up_proj(h)),  h = rmsnorm(x)
// Each base matmul is followed by the batch's LoRA deltas for that linear,
// then its bias: y = W0·x + Σ s·B·A·x + b. A DoRA magnitude rescales the
// first two terms only (PEFT `DoraLinearLayer.forward`: the bias is not
// scaled), so the bias must come last. The family differences are data:
// a layer has biases or not, q/k norms or not (`ModelFamily`).
// Shapes: n = batch rows, H = hidden, Q = heads·headDim, KV = kvHeads·headDim,
// I = intermediate, F = Q + 2·KV (fused q ; k ; v width).

extension LlamaModel {
    /// Runs one step over a batch of rows and returns the logits of the rows
    /// that asked for them.
    ///
    /// - batch: rows of any number of sequences; each sequence's rows must be
    ///   consecutive positions continuing its cache, in order. Their K/V are
    ///   appended to the caches and each row attends causally to its own
    ///   sequence only.
    /// - lora: which rows use which adapters (`LoRABatchPlan(rows:)` with one
    ///   entry per batch row; an empty plan means base model only).
    /// - workspace: the calling thread's scratch.
    ///
    /// Throws before touching any cache if the batch is malformed or a
    /// sequence would exceed its capacity.
    public func forward(_ batch: [ForwardRow], lora: LoRABatchPlan, workspace: Workspace) throws -> Logits {
        let n = batch.count
        let newLengths = try validate(batch, lora: lora)
        let c = config
        let h = c.hiddenSize, qDim = c.queryDim, kvDim = c.keyValueDim
        let inter = c.intermediateSize, f = qDim + 2 * kvDim, half = c.headDim / 2

        for (seq, length) in newLengths { seq.reserve(positions: length) }
        let segments = AttentionSegments(batch, heads: c.numAttentionHeads, headDim: c.headDim)
        workspace.reserve(rows: n, scores: segments.scoreScratch, widenedKV: segments.widenScratch, config: c,
                          format: weights.format)
        let ws = workspace
        let x = ws.x.pointer, normed = ws.normed.pointer, qkv = ws.qkv.pointer
        let attention = ws.attention.pointer, projected = ws.projected.pointer
        let gateUp = ws.gateUp.pointer, activated = ws.activated.pointer
        let useLoRA = !lora.isEmpty
        let pool = self.pool(forRows: n)
        let panel = ws.panel.pointer

        // Embedding lookup: x[i] = embed_tokens[token_i] widened  (n, H)
        for (i, row) in batch.enumerated() {
            weights.embedTokens.widen(from: row.token * h, count: h, into: x + i * h)
        }
        // RoPE angles of each row's position: (n, headDim/2) each.
        for (i, row) in batch.enumerated() {
            rope.angles(position: row.position, cos: ws.cos.pointer + i * half, sin: ws.sin.pointer + i * half)
        }

        for (l, layer) in weights.layers.enumerated() {
            // --- attention block ---
            RMSNorm.apply(rows: n, count: h, x: x, weight: layer.inputNorm.pointer, eps: c.rmsNormEps, out: normed)
            // qkv = normed · [Wq; Wk; Wv]ᵀ : (n, F)
            project(rows: n, weight: layer.qkv, out: f, in: h, x: normed, y: qkv, pool: pool, panel: panel)
            if useLoRA {
                for kind in Self.attentionInputs {
                    lora.apply(to: LinearID(layer: l, kind: kind), input: normed, inputStride: h,
                               output: qkv + LlamaWeights.rowOffset(of: kind, c), outputStride: f,
                               scratch: ws.lora, pool: pool)
                }
            }
            addBias(layer.qkvBias, rows: n, width: f, to: qkv)
            for (i, row) in batch.enumerated() {
                let q = qkv + i * f, k = q + qDim, v = k + kvDim
                let cosRow = ws.cos.pointer + i * half, sinRow = ws.sin.pointer + i * half
                if let qNorm = layer.queryNorm, let kNorm = layer.keyNorm {
                    // Qwen3Attention: q_norm / k_norm over each head's D values, before RoPE.
                    RMSNorm.apply(rows: c.numAttentionHeads, count: c.headDim, x: q, weight: qNorm.pointer,
                                  eps: c.rmsNormEps, out: q)
                    RMSNorm.apply(rows: c.numKeyValueHeads, count: c.headDim, x: k, weight: kNorm.pointer,
                                  eps: c.rmsNormEps, out: k)
                }
                rope.rotate(q, heads: c.numAttentionHeads, cos: cosRow, sin: sinRow)
                rope.rotate(k, heads: c.numKeyValueHeads, cos: cosRow, sin: sinRow)
                row.sequence.store(layer: l, position: row.position, keys: k, values: v)
            }
            // Every row's K/V of this layer is cached before any row attends, so
            // a prefill row sees the earlier rows of its own chunk.
            attend(batch, segments: segments, layer: l, qkv: qkv, out: attention, scores: ws.scores.pointer,
                   widened: ws.widenedKV.pointer, path: ws.attentionPath, pool: pool)
            // projected = attention · Woᵀ : (n, H)
            project(rows: n, weight: layer.o, out: h, in: qDim, x: attention, y: projected, pool: pool, panel: panel)
            if useLoRA {
                lora.apply(to: LinearID(layer: l, kind: .o), input: attention, inputStride: qDim,
                           output: projected, outputStride: h, scratch: ws.lora, pool: pool)
            }
            addBias(layer.oBias, rows: n, width: h, to: projected)
            VectorMath.add(projected, into: x, count: n * h)

            // --- MLP block ---
            RMSNorm.apply(rows: n, count: h, x: x, weight: layer.postNorm.pointer, eps: c.rmsNormEps, out: normed)
            // gateUp = normed · [Wgate; Wup]ᵀ : (n, 2·I)
            project(rows: n, weight: layer.gateUp, out: 2 * inter, in: h, x: normed, y: gateUp, pool: pool, panel: panel)
            if useLoRA {
                for kind in Self.mlpInputs {
                    lora.apply(to: LinearID(layer: l, kind: kind), input: normed, inputStride: h,
                               output: gateUp + LlamaWeights.rowOffset(of: kind, c), outputStride: 2 * inter,
                               scratch: ws.lora, pool: pool)
                }
            }
            addBias(layer.gateUpBias, rows: n, width: 2 * inter, to: gateUp)
            swiglu(rows: n, gateUp: gateUp, out: activated, pool: pool)
            // projected = activated · Wdownᵀ : (n, H)
            project(rows: n, weight: layer.down, out: h, in: inter, x: activated, y: projected, pool: pool, panel: panel)
            if useLoRA {
                lora.apply(to: LinearID(layer: l, kind: .down), input: activated, inputStride: inter,
                           output: projected, outputStride: h, scratch: ws.lora, pool: pool)
            }
            addBias(layer.downBias, rows: n, width: h, to: projected)
            VectorMath.add(projected, into: x, count: n * h)
        }
        for (seq, length) in newLengths { seq.commit(length: length) }

        // Final norm and lm_head for the rows that need logits only.
        let wanted = batch.indices.filter { batch[$0].needsLogits }
        for (j, i) in wanted.enumerated() {
            RMSNorm.apply(rows: 1, count: h, x: x + i * h, weight: weights.norm.pointer, eps: c.rmsNormEps,
                          out: normed + j * h)
        }
        let vocab = c.vocabSize
        let values = [Float](unsafeUninitializedCapacity: wanted.count * vocab) { buffer, count in
            if !wanted.isEmpty {
                // logits = normed · lm_headᵀ : (wanted, vocab)
                project(rows: wanted.count, weight: weights.lmHead, out: vocab, in: h,
                        x: normed, y: buffer.baseAddress!, pool: self.pool(forRows: wanted.count), panel: panel)
            }
            count = wanted.count * vocab
        }
        return Logits(vocabSize: vocab, rows: wanted, values: values)
    }

    /// The projections sharing the fused q ; k ; v and gate ; up outputs.
    static let attentionInputs: [LinearKind] = [.q, .k, .v]
    static let mlpInputs: [LinearKind] = [.gate, .up]

    /// Which threads run a step's own kernels (projections, attention,
    /// SwiGLU, the per-row low-rank path). Prefill-sized batches run on
    /// OpenBLAS's sgemm and its own threads, everything else of the step
    /// inline: waking our pool between OpenBLAS calls made the two pools'
    /// idle polling fight over the cores (single-stream decode 10–12 %
    /// slower, measured A/B in one process). Decode (1…`BatchedGEMV.maxRows`
    /// rows, any weight format) runs our kernel on our pool, and OpenBLAS's
    /// threads stay asleep.
    func pool(forRows n: Int) -> ComputePool {
        usesOwnKernel(rows: n) ? .shared : .serial
    }

    /// Whether a step of `n` rows multiplies with `BatchedGEMV`.
    @inline(__always)
    func usesOwnKernel(rows n: Int) -> Bool {
        n <= BatchedGEMV.maxRows
    }

    /// y = x · Wᵀ for `rows` rows. Up to `BatchedGEMV.maxRows` rows (decode):
    /// our kernel streams W once for all of them, widening 16-bit weights
    /// in registers — sgemm packs all of W first, and for one row of F32 our
    /// kernel's single stream per thread decoded 1.04–1.07× llama.cpp's
    /// speed where OpenBLAS's sgemv gave 1.00 (alternating binaries, same
    /// minutes, AMD EPYC Zen 3). Larger batches (prefill): sgemm,
    /// compute-bound and fastest there, over W itself or, for 16-bit W,
    /// panels widened into `panel`.
    /// W: (out, in) in W's format; x: (rows, in); y: (rows, out).
    @inline(__always)
    func project(rows: Int, weight: WeightBuffer, out: Int, in inFeatures: Int,
                 x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, pool: ComputePool,
                 panel: UnsafeMutablePointer<Float>) {
        if usesOwnKernel(rows: rows) {
            BatchedGEMV.multiply(rows: rows, out: out, in: inFeatures, w: weight.raw, format: weight.format,
                                 x: x, y: y, pool: pool)
        } else {
            WidenedGEMM.multiply(rows: rows, out: out, in: inFeatures, w: weight.raw, format: weight.format,
                                 x: x, y: y, panel: panel)
        }
    }

    /// y[i] += bias for every row, when the projection has a bias.
    /// bias: (width); y: (rows, width)
    @inline(__always)
    func addBias(_ bias: WeightBuffer?, rows: Int, width: Int, to y: UnsafeMutablePointer<Float>) {
        guard let bias else { return }
        for i in 0..<rows { VectorMath.add(bias.pointer, into: y + i * width, count: width) }
    }

    /// activated[i] = silu(gate[i]) · up[i] for every row, split over
    /// `pool`'s threads.
    /// gateUp: (rows, 2·I) gate ; up; out: (rows, I)
    func swiglu(rows: Int, gateUp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, pool: ComputePool) {
        let inter = config.intermediateSize, total = rows * inter
        let parts = total >= 2048 ? pool.threadCount : 1
        nonisolated(unsafe) let (gateUp, out) = (gateUp, out)
        pool.run(parts: parts) { part in
            var e = total * part / parts
            let end = total * (part + 1) / parts
            while e < end {
                let (i, j) = e.quotientAndRemainder(dividingBy: inter)
                let length = min(end - e, inter - j)
                let g = gateUp + i * 2 * inter + j
                Activation.swiglu(gate: g, up: g + inter, out: out + i * inter + j, count: length)
                e += length
            }
        }
    }
}
