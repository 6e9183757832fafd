import Kernels

/// Which rows of a batch use which adapter, computed once per forward step and
/// then applied after every base matmul.
///
/// This is the S-LoRA / Punica "SGMV" idea on OpenBLAS: the base matmul runs
/// once for the whole batch; for each distinct adapter, take the rows that
/// use it, run the two skinny matmuls x·Aᵀ then ·Bᵀ, and accumulate
/// weight·scale·delta into those rows. B·A is never materialised.
///
/// DoRA (`DoRAFactors`): a row whose adapter is DoRA (weight 1) gets its
/// low-rank term like any other, then its slice of the output multiplied by
/// the module's factor g — so y = g ⊙ (W0·x + s·B·A·x), before any bias the
/// caller adds. Weight −1 on a DoRA adapter is the inverse, for rows that
/// must not see a live-merged DoRA adapter whose W' = g ⊙ (W0 + s·B·A) the
/// base matmul used: y ← y / g − s·B·A·x gives back W0·x. Per row, the
/// division comes first, then every additive term, then the multiplication.
public struct LoRABatchPlan: Sendable {
    /// One distinct adapter and the rows (with per-row weights) that use it.
    public struct Group: Sendable {
        public let adapter: LoRAAdapter
        public let rows: [Int]
        public let weights: [Float]
    }

    public let groups: [Group]
    public let rowCount: Int
    /// Rows served by small groups (≤ `perRowLimit` rows: decode), each with
    /// its (group index, weight) uses, in group order, and the small DoRA
    /// group (weight 1) whose factor multiplies the row after them: applied
    /// in the same pass, while the row is in cache.
    let perRowUses: [(row: Int, uses: [(group: Int, weight: Float)], dora: Int?)]
    /// Rows whose output is divided by a DoRA group's factor before the
    /// additive terms (weight −1), and multiplied by one after them (weight 1)
    /// where that group is too large for the per-row path.
    let doraUndo: [(row: Int, group: Int)]
    let doraApply: [(row: Int, group: Int)]
    /// Why the mixes cannot be applied (a DoRA weight other than ±1, or two
    /// DoRA terms of one direction on a row); the forward pass refuses the
    /// batch with it. Nil for a valid plan.
    public let problem: String?

    /// - Parameter mixes: per batch row, the adapters it uses (empty = base only).
    public init(rows mixes: [[AdapterUse]]) {
        // Groups in order of first use; `index` finds an adapter's group.
        var found: [(adapter: LoRAAdapter, rows: [Int], weights: [Float])] = []
        var index: [ObjectIdentifier: Int] = [:]
        for (row, mix) in mixes.enumerated() {
            // A DoRA use at weight 0 is not skipped (`AdapterUse.isActive`):
            // unresolved, it is refused below like any other weight but ±1.
            for use in mix where use.isActive {
                let g = index[ObjectIdentifier(use.adapter), default: found.count]
                if g == found.count {
                    index[ObjectIdentifier(use.adapter)] = g
                    found.append((use.adapter, [], []))
                }
                found[g].rows.append(row)
                found[g].weights.append(use.weight)
            }
        }
        let groups = found.map { Group(adapter: $0.adapter, rows: $0.rows, weights: $0.weights) }
        var uses: [Int: [(group: Int, weight: Float)]] = [:]
        for (g, group) in groups.enumerated() where group.rows.count <= Self.perRowLimit {
            for (row, weight) in zip(group.rows, group.weights) { uses[row, default: []].append((g, weight)) }
        }
        var undo: [Int: Int] = [:], apply: [Int: Int] = [:]
        var problem: String?
        for (g, group) in groups.enumerated() where group.adapter.isDoRA {
            if let id = group.adapter.missingFactor {
                problem = problem ?? "DoRA adapter \(group.adapter.name): module \(id) has no factor (LoRAAdapter.dora computes it)"
            }
            for (row, weight) in zip(group.rows, group.weights) {
                let previous: Int?
                switch weight {
                case 1: previous = apply.updateValue(g, forKey: row)
                case -1: previous = undo.updateValue(g, forKey: row)
                default:
                    problem = problem ?? "row \(row): DoRA adapter \(group.adapter.name) has weight \(weight); "
                        + "a weighted DoRA use must be resolved first (AdapterUse.resolve)"
                    continue
                }
                if let previous {
                    problem = problem ?? "row \(row): two DoRA adapters (\(groups[previous].adapter.name), "
                        + "\(group.adapter.name)) with weight \(weight)"
                }
            }
        }
        self.groups = groups
        let isSmall = { (g: Int) in groups[g].rows.count <= Self.perRowLimit }
        perRowUses = uses.sorted { $0.key < $1.key }.map { row, list in
            (row, list, apply[row].flatMap { isSmall($0) ? $0 : nil })
        }
        doraUndo = undo.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        doraApply = apply.keys.sorted().compactMap { row in apply[row].flatMap { isSmall($0) ? nil : (row, $0) } }
        self.problem = problem
        rowCount = mixes.count
    }

    /// True when no row uses any adapter: the forward pass can skip this path.
    public var isEmpty: Bool { groups.isEmpty }

    /// y[row] += Σ_adapters weight · scale · B·(A·x[row]) for linear `id`,
    /// with DoRA rows divided by (weight −1) or multiplied by (weight 1) the
    /// module's factor around it.
    ///
    /// - x: (rowCount, in) with row stride `inputStride`
    /// - y: (rowCount, out) with row stride `outputStride`; must not overlap x
    ///
    /// Small groups (decode) take `applyPerRow`. A larger group (a prefill
    /// chunk, many rows on one adapter): x·Aᵀ as one sgemm
    /// (reading x in place when the rows are consecutive, as a prefill's are,
    /// else from a gathered copy), each row of that (n, r) result scaled by its
    /// weight·scale, then ·Bᵀ accumulated straight into y when the rows are
    /// consecutive (sgemm, beta = 1, ldc = outputStride), else computed into
    /// scratch and scatter-added.
    public func apply(to id: LinearID,
                      input x: UnsafePointer<Float>, inputStride: Int,
                      output y: UnsafeMutablePointer<Float>, outputStride: Int,
                      scratch: LoRAScratch, pool: ComputePool = .shared) {
        // DoRA undo: y ← y / g (its −s·B·A·x follows with the additive terms).
        for (row, g) in doraUndo {
            guard let factor = groups[g].adapter.modules[id]?.doraFactor else { continue }
            let yr = y + row * outputStride
            for j in factor.indices { yr[j] /= factor[j] }
        }
        addLowRank(to: id, input: x, inputStride: inputStride, output: y, outputStride: outputStride,
                   scratch: scratch, pool: pool)
        // DoRA: y ← g ⊙ y, after every additive term of the row (rows of small
        // groups got it in `applyPerRow`).
        for (row, g) in doraApply {
            guard let factor = groups[g].adapter.modules[id]?.doraFactor else { continue }
            let yr = y + row * outputStride
            for j in factor.indices { yr[j] *= factor[j] }
        }
    }

    /// The additive part of `apply`: y[row] += Σ weight · scale · B·(A·x[row]).
    private func addLowRank(to id: LinearID,
                            input x: UnsafePointer<Float>, inputStride: Int,
                            output y: UnsafeMutablePointer<Float>, outputStride: Int,
                            scratch: LoRAScratch, pool: ComputePool) {
        for group in groups where group.rows.count > Self.perRowLimit {
            guard let module = group.adapter.modules[id] else { continue }
            let rows = group.rows
            let n = rows.count, r = module.rank
            let inF = module.inFeatures, outF = module.outFeatures
            scratch.reserve(rows: n, inFeatures: inF, rank: r, outFeatures: outF)
            scratch.gathered.withUnsafeMutableBufferPointer { g in
            scratch.low.withUnsafeMutableBufferPointer { low in
            scratch.delta.withUnsafeMutableBufferPointer { delta in
            module.a.withUnsafeBufferPointer { a in
            module.b.withUnsafeBufferPointer { b in
                guard let gp = g.baseAddress, let lp = low.baseAddress, let dp = delta.baseAddress,
                      let ap = a.baseAddress, let bp = b.baseAddress else { return }
                let consecutive = Self.isConsecutive(rows[...])
                // low = X·Aᵀ : (n, r), X read in place when the rows are consecutive.
                if consecutive {
                    BLAS.gemmABt(m: n, n: r, k: inF, a: x + rows[0] * inputStride, lda: inputStride,
                                 b: ap, c: lp)
                } else {
                    for (i, row) in rows.enumerated() {
                        (gp + i * inF).update(from: x + row * inputStride, count: inF)  // gather: (n, in)
                    }
                    BLAS.gemmABt(m: n, n: r, k: inF, a: gp, b: ap, c: lp)
                }
                // Fold each row's weight · module scale into its r values (cheaper than into out values).
                for i in 0..<n {
                    let s = group.weights[i] * module.scale
                    let rowLow = lp + i * r
                    for k in 0..<r { rowLow[k] *= s }
                }
                // y[rows] += low·Bᵀ: straight into y when the rows are one consecutive block,
                // else one sgemm into scratch and a scatter-add (cheaper than a gemv per row).
                if consecutive {
                    BLAS.gemmABt(m: n, n: outF, k: r, a: lp, b: bp, beta: 1,
                                 c: y + rows[0] * outputStride, ldc: outputStride)
                } else {
                    BLAS.gemmABt(m: n, n: outF, k: r, a: lp, b: bp, c: dp)  // (n, out)
                    for (i, row) in rows.enumerated() {
                        let src = dp + i * outF, dst = y + row * outputStride
                        for j in 0..<outF { dst[j] += src[j] }
                    }
                }
            }}}}}
        }
        if !perRowUses.isEmpty, groups.contains(where: { $0.rows.count <= Self.perRowLimit && $0.adapter.modules[id] != nil }) {
            applyPerRow(to: id, input: x, inputStride: inputStride, output: y, outputStride: outputStride, pool: pool)
        }
    }

    /// Small groups, row by row in our own SIMD loops: low = s·A·x (r dot
    /// products), then y += Σ_k low[k]·Bᵀ[k] (r axpy's over the Bᵀ kept at
    /// load), then a DoRA row's y ← g ⊙ y. A and B are tiny; a BLAS call
    /// here would cost more in dispatch than the math. Rows are independent
    /// — each writes only its own y row, even when several adapters (a
    /// combination) add into it — so they are spread over `pool`'s threads: with 8 distinct adapters this path
    /// streams 8 adapters' A and B per step, 15 MB for q,v r=8 on SmolLM-135M.
    private func applyPerRow(to id: LinearID, input x: UnsafePointer<Float>, inputStride: Int,
                             output y: UnsafeMutablePointer<Float>, outputStride: Int, pool: ComputePool) {
        let maxRank = groups.reduce(1) { max($0, $1.adapter.modules[id]?.rank ?? 1) }
        nonisolated(unsafe) let (x, y) = (x, y)
        pool.run(parts: perRowUses.count) { part in
            let (row, uses, dora) = perRowUses[part]
            let xr = x + row * inputStride, yr = y + row * outputStride
            var factor: [Float]?   // (out): the row's DoRA factor for this linear
            withUnsafeTemporaryAllocation(of: Float.self, capacity: maxRank) { low in
                guard let lp = low.baseAddress else { return }
                for (g, weight) in uses {
                    guard let module = groups[g].adapter.modules[id] else { continue }
                    if g == dora { factor = module.doraFactor }
                    let r = module.rank, inF = module.inFeatures, outF = module.outFeatures
                    let s = weight * module.scale
                    module.a.withUnsafeBufferPointer { a in
                    module.bTransposed.withUnsafeBufferPointer { bt in
                        guard let ap = a.baseAddress, let btp = bt.baseAddress else { return }
                        for k in 0..<r { lp[k] = s * VectorMath.dot(ap + k * inF, xr, count: inF) }   // low = s·A·x : (r)
                        for k in 0..<r { VectorMath.axpy(lp[k], btp + k * outF, into: yr, count: outF) } // y += Σ_k low[k]·Bᵀ[k] : (out)
                    }}
                }
            }
            factor?.withUnsafeBufferPointer { g in
                guard let gp = g.baseAddress else { return }
                VectorMath.multiply(gp, into: yr, count: g.count)   // y ← g ⊙ y : (out)
            }
        }
    }

    /// Groups with at most this many rows take the per-row SIMD path on our
    /// compute threads; larger ones (prefill chunks) amortise sgemm. The same
    /// limit as the base projections' own kernel (`BatchedGEMV.maxRows`), so
    /// a decode step never wakes OpenBLAS's threads: when 8 rows of one
    /// adapter took sgemm, its spinning threads slowed the rest of the step
    /// (attention 40 %, projections 10 %) more than the low-rank math costs.
    static let perRowLimit = BatchedGEMV.maxRows

    /// Whether row indices ascend by exactly one (so they are one strided block of x).
    static func isConsecutive(_ rows: ArraySlice<Int>) -> Bool {
        var previous: Int?
        for row in rows {
            if let p = previous, row != p + 1 { return false }
            previous = row
        }
        return true
    }
}
