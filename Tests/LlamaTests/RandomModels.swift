import Foundation
import Kernels
@testable import Llama
import LoRA

/// Small random models and a naive reference forward pass: the "second
/// computation" the batched, cached, fused forward is checked against.
enum RandomModels {
    /// GQA (4 heads over 2 kv heads) with head_dim ≠ hidden/heads, so o_proj
    /// is not square. `family` and `biases` choose the architecture's extras
    /// (biases nil = the family's fixed ones).
    static func config(family: ModelFamily = .llama, biases: Set<LinearKind>? = nil, tied: Bool = false,
                       maxPositions: Int = 64, slidingWindow: Int? = nil, slidingLayers: Set<Int>? = nil) throws -> LlamaConfig {
        try LlamaConfig(family: family, biases: biases, hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2,
                        numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 24,
                        rmsNormEps: 1e-5, ropeTheta: 10000, maxPositionEmbeddings: maxPositions,
                        slidingWindow: slidingWindow, slidingLayers: slidingLayers,
                        tieWordEmbeddings: tied, vocabSize: 101)
    }

    /// Every checkpoint tensor name → shape for `config`.
    static func tensorShapes(_ c: LlamaConfig) -> [String: [Int]] {
        var shapes: [String: [Int]] = ["model.embed_tokens.weight": [c.vocabSize, c.hiddenSize],
                                       "model.norm.weight": [c.hiddenSize]]
        if !c.tieWordEmbeddings { shapes["lm_head.weight"] = [c.vocabSize, c.hiddenSize] }
        for l in 0..<c.numHiddenLayers {
            shapes["model.layers.\(l).input_layernorm.weight"] = [c.hiddenSize]
            shapes["model.layers.\(l).post_attention_layernorm.weight"] = [c.hiddenSize]
            for kind in LinearKind.allCases {
                let s = LlamaWeights.shape(of: kind, c)
                shapes[LinearID(layer: l, kind: kind).weightName] = [s.outFeatures, s.inFeatures]
                if c.biases.contains(kind) { shapes[LinearID(layer: l, kind: kind).modulePath + ".bias"] = [s.outFeatures] }
            }
            if c.hasQueryKeyNorm {
                shapes["model.layers.\(l).self_attn.q_norm.weight"] = [c.headDim]
                shapes["model.layers.\(l).self_attn.k_norm.weight"] = [c.headDim]
            }
        }
        return shapes
    }

    /// Random tensors: norms near 1, matrices uniform in ±1/√in, biases in ±0.5.
    static func tensors(_ c: LlamaConfig, seed: UInt64) -> [String: TensorValues] {
        var rng = SeededGenerator(seed: seed)
        var out: [String: TensorValues] = [:]
        for (name, shape) in tensorShapes(c).sorted(by: { $0.key < $1.key }) {
            let n = shape.reduce(1, *)
            let values: [Float]
            if name.hasSuffix(".bias") {
                values = (0..<n).map { _ in Float(rng.nextUnit() - 0.5) }
            } else if shape.count == 1 {
                values = (0..<n).map { _ in 1 + Float(rng.nextUnit() - 0.5) * 0.2 }
            } else {
                let scale = 1 / Float(shape[1]).squareRoot()
                values = (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) * scale }
            }
            out[name] = TensorValues(shape: shape, values: values)
        }
        return out
    }

    static func model(_ c: LlamaConfig, seed: UInt64 = 1) throws -> (LlamaModel, [String: TensorValues]) {
        let t = tensors(c, seed: seed)
        return (LlamaModel(weights: try LlamaWeights(config: c) { t[$0] }), t)
    }

    /// A random adapter on seven linears of both layers (ranks 2–4, scale
    /// 1.5) and the checkpoint tensors with its delta merged in (W0 + s·B·A,
    /// computed independently in plain loops).
    static func adapter(_ config: LlamaConfig, _ tensors: [String: TensorValues], seed: UInt64)
        -> (LoRAAdapter, [String: TensorValues]) {
        var rng = SeededGenerator(seed: seed)
        var modules: [LinearID: LoRAModule] = [:]
        var merged = tensors
        let targets: [LinearID] = [.init(layer: 0, kind: .q), .init(layer: 0, kind: .v), .init(layer: 1, kind: .k),
                                   .init(layer: 1, kind: .o), .init(layer: 0, kind: .gate), .init(layer: 1, kind: .up),
                                   .init(layer: 0, kind: .down)]
        for (i, id) in targets.enumerated() {
            let shape = LlamaWeights.shape(of: id.kind, config)
            let r = 2 + i % 3, scale: Float = 1.5
            let a = (0..<(r * shape.inFeatures)).map { _ in Float(rng.nextUnit() - 0.5) * 0.5 }
            let b = (0..<(shape.outFeatures * r)).map { _ in Float(rng.nextUnit() - 0.5) * 0.5 }
            modules[id] = LoRAModule(rank: r, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures,
                                     scale: scale, a: a, b: b)
            var w = tensors[id.weightName]!.values
            for o in 0..<shape.outFeatures {
                for c in 0..<shape.inFeatures {
                    var s: Float = 0
                    for k in 0..<r { s += b[o * r + k] * a[k * shape.inFeatures + c] }
                    w[o * shape.inFeatures + c] += scale * s
                }
            }
            merged[id.weightName] = TensorValues(shape: [shape.outFeatures, shape.inFeatures], values: w)
        }
        return (LoRAAdapter(name: "random", modules: modules), merged)
    }

    /// Straightforward full-sequence decoder in Double, no cache, no fusion,
    /// from the named tensors (transformers' LlamaForCausalLM, eager attention;
    /// a `<module>.bias` tensor, when present, is added to its projection,
    /// `q_norm` / `k_norm` normalise each head before RoPE as in Qwen3Attention,
    /// and a sliding layer's query i sees keys j with i − j < window, as
    /// transformers' `sliding_window_causal_mask_function` masks them).
    /// Returns the logits of every position.
    static func referenceLogits(_ c: LlamaConfig, _ t: [String: TensorValues], tokens: [Int]) -> [[Float]] {
        func w(_ name: String) -> [Double] { t[name]!.values.map(Double.init) }
        let h = c.hiddenSize, hd = c.headDim, n = tokens.count
        func matvec(_ m: [Double], _ x: [Double], out: Int) -> [Double] {
            let inF = x.count
            return (0..<out).map { o in (0..<inF).reduce(0.0) { $0 + m[o * inF + $1] * x[$1] } }
        }
        func norm(_ x: [Double], _ weight: [Double]) -> [Double] {
            let inv = 1 / (x.map { $0 * $0 }.reduce(0, +) / Double(x.count) + Double(c.rmsNormEps)).squareRoot()
            return zip(x, weight).map { $0 * inv * $1 }
        }
        func rope(_ v: [Double], pos: Int) -> [Double] {
            var r = v
            for i in 0..<(hd / 2) {
                let theta = Double(pos) / pow(c.ropeTheta, Double(2 * i) / Double(hd))
                r[i] = v[i] * cos(theta) - v[i + hd / 2] * sin(theta)
                r[i + hd / 2] = v[i + hd / 2] * cos(theta) + v[i] * sin(theta)
            }
            return r
        }
        /// W·x (+ b when the checkpoint has `<module>.bias`).
        func linear(_ module: String, _ x: [Double], out: Int) -> [Double] {
            let y = matvec(w(module + ".weight"), x, out: out)
            guard let b = t[module + ".bias"] else { return y }
            return zip(y, b.values).map { $0 + Double($1) }
        }
        /// Per-head RMSNorm (`q_norm` / `k_norm`) of `heads` vectors of hd, or x unchanged.
        func headNorm(_ name: String, _ x: [Double], heads: Int) -> [Double] {
            guard let weight = t[name]?.values.map(Double.init) else { return x }
            return (0..<heads).flatMap { norm(Array(x[($0 * hd)..<(($0 + 1) * hd)]), weight) }
        }
        let embed = w("model.embed_tokens.weight")
        var x = tokens.map { Array(embed[($0 * h)..<(($0 + 1) * h)]) }
        for l in 0..<c.numHiddenLayers {
            let p = "model.layers.\(l)."
            let normed = x.map { norm($0, w(p + "input_layernorm.weight")) }
            var q: [[Double]] = [], k: [[Double]] = [], v: [[Double]] = []
            for (pos, row) in normed.enumerated() {
                let qr = headNorm(p + "self_attn.q_norm.weight", linear(p + "self_attn.q_proj", row, out: c.queryDim),
                                  heads: c.numAttentionHeads)
                let kr = headNorm(p + "self_attn.k_norm.weight", linear(p + "self_attn.k_proj", row, out: c.keyValueDim),
                                  heads: c.numKeyValueHeads)
                q.append((0..<c.numAttentionHeads).flatMap { rope(Array(qr[($0 * hd)..<(($0 + 1) * hd)]), pos: pos) })
                k.append((0..<c.numKeyValueHeads).flatMap { rope(Array(kr[($0 * hd)..<(($0 + 1) * hd)]), pos: pos) })
                v.append(linear(p + "self_attn.v_proj", row, out: c.keyValueDim))
            }
            let group = c.numAttentionHeads / c.numKeyValueHeads
            let window = c.attentionWindow(layer: l)
            for i in 0..<n {
                var attn = [Double](repeating: 0, count: c.queryDim)
                let visible = (0...i).filter { j in window.map { i - j < $0 } ?? true }
                for head in 0..<c.numAttentionHeads {
                    let kvh = head / group
                    let scores = visible.map { j in
                        (0..<hd).reduce(0.0) { $0 + q[i][head * hd + $1] * k[j][kvh * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    for (slot, j) in visible.enumerated() {
                        for d in 0..<hd { attn[head * hd + d] += e[slot] / z * v[j][kvh * hd + d] }
                    }
                }
                let o = linear(p + "self_attn.o_proj", attn, out: h)
                for d in 0..<h { x[i][d] += o[d] }
            }
            for i in 0..<n {
                let hn = norm(x[i], w(p + "post_attention_layernorm.weight"))
                let g = linear(p + "mlp.gate_proj", hn, out: c.intermediateSize)
                let u = linear(p + "mlp.up_proj", hn, out: c.intermediateSize)
                let a = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                let d = linear(p + "mlp.down_proj", a, out: h)
                for j in 0..<h { x[i][j] += d[j] }
            }
        }
        let head = w(c.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")
        return x.map { matvec(head, norm($0, w("model.norm.weight")), out: c.vocabSize).map(Float.init) }
    }
}

func maxAbsDiff<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float where A.Element == Float, B.Element == Float {
    precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

extension LlamaModel {
    /// Prefills `tokens` into a fresh sequence in one chunk; returns the
    /// sequence and the logits of every row.
    func prefill(_ tokens: [Int], chunks: [Int]? = nil, lora: [AdapterUse] = [],
                 workspace: Workspace = Workspace(), kvFormat: WeightFormat = .f32) throws -> (SequenceState, [[Float]]) {
        let seq = makeSequence(kvFormat: kvFormat)
        var all: [[Float]] = []
        var start = 0
        for size in chunks ?? [tokens.count] {
            let rows = (start..<(start + size)).map { ForwardRow(sequence: seq, token: tokens[$0], position: $0) }
            let plan = LoRABatchPlan(rows: rows.map { _ in lora })
            let logits = try forward(rows, lora: plan, workspace: workspace)
            for i in rows.indices { all.append(Array(logits[i]!)) }
            start += size
        }
        return (seq, all)
    }
}
