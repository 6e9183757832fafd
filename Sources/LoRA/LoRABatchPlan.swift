import Kernels

/// Which rows of a batch use which adapter, computed once per forward step and
/// then applied after every base matmul.
///
/// This is the S-LoRA / Punica "SGMV" idea on OpenBLAS: the base matmul runs
/// once for the whole batch; for each distinct adapter, gather the rows that
/// use it, run the two skinny matmuls x·Aᵀ then ·Bᵀ, and scatter-add
/// weight·scale·delta back into those rows. B·A is never materialised.
public struct LoRABatchPlan: Sendable {
    /// One distinct adapter and the rows (with per-row weights) that use it.
    public struct Group: Sendable {
        public let adapter: LoRAAdapter
        public let rows: [Int]
        public let weights: [Float]
    }

    public let groups: [Group]
    public let rowCount: Int

    /// - Parameter mixes: per batch row, the adapters it uses (empty = base only).
    public init(rows mixes: [[AdapterUse]]) {
        var order: [ObjectIdentifier] = []
        var byAdapter: [ObjectIdentifier: (LoRAAdapter, [Int], [Float])] = [:]
        for (row, mix) in mixes.enumerated() {
            for use in mix where use.weight != 0 {
                let key = ObjectIdentifier(use.adapter)
                if byAdapter[key] == nil {
                    order.append(key)
                    byAdapter[key] = (use.adapter, [], [])
                }
                byAdapter[key]!.1.append(row)
                byAdapter[key]!.2.append(use.weight)
            }
        }
        groups = order.map { key in
            let (adapter, rows, weights) = byAdapter[key]!
            return Group(adapter: adapter, rows: rows, weights: weights)
        }
        rowCount = mixes.count
    }

    /// True when no row uses any adapter: the forward pass can skip this path.
    public var isEmpty: Bool { groups.isEmpty }

    /// y[row] += Σ_adapters weight · scale · B·(A·x[row]) for linear `id`.
    ///
    /// - x: (rowCount, in) with row stride `inputStride`
    /// - y: (rowCount, out) with row stride `outputStride`
    public func apply(to id: LinearID,
                      input x: UnsafePointer<Float>, inputStride: Int,
                      output y: UnsafeMutablePointer<Float>, outputStride: Int,
                      scratch: LoRAScratch) {
        for group in groups {
            guard let module = group.adapter.modules[id] else { continue }
            let n = group.rows.count, r = module.rank
            let inF = module.inFeatures, outF = module.outFeatures
            scratch.reserve(rows: n, inFeatures: inF, rank: r, outFeatures: outF)
            scratch.gathered.withUnsafeMutableBufferPointer { g in
            scratch.low.withUnsafeMutableBufferPointer { low in
            scratch.delta.withUnsafeMutableBufferPointer { d in
            module.a.withUnsafeBufferPointer { a in
            module.b.withUnsafeBufferPointer { b in
                // gather: (n, in)
                for (i, row) in group.rows.enumerated() {
                    (g.baseAddress! + i * inF).update(from: x + row * inputStride, count: inF)
                }
                // low = g·Aᵀ : (n, r)
                BLAS.gemmABt(m: n, n: r, k: inF, a: g.baseAddress!, b: a.baseAddress!, c: low.baseAddress!)
                // d = low·Bᵀ : (n, out)
                BLAS.gemmABt(m: n, n: outF, k: r, a: low.baseAddress!, b: b.baseAddress!, c: d.baseAddress!)
                // scatter-add with the per-row weight · module scale
                for (i, row) in group.rows.enumerated() {
                    let s = group.weights[i] * module.scale
                    let src = d.baseAddress! + i * outF
                    let dst = y + row * outputStride
                    for j in 0..<outF { dst[j] += s * src[j] }
                }
            }}}}}
        }
    }
}
