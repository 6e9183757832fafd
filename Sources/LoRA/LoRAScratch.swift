/// Reusable buffers for the low-rank path, owned by the one thread that runs
/// forward passes (the engine thread), so the hot path does not allocate.
///
/// A class because `LoRABatchPlan.apply` grows it in place; deliberately not
/// Sendable: each compute thread owns its own.
public final class LoRAScratch {
    /// (rows, in) gathered inputs of one adapter group
    var gathered: [Float] = []
    /// (rows, r) x·Aᵀ
    var low: [Float] = []

    public init() {}

    /// (rows, out) (x·Aᵀ)·Bᵀ before the scatter-add, when the rows are not consecutive
    var delta: [Float] = []

    /// Grows the buffers (never shrinks) and keeps them non-empty so their base addresses exist.
    func reserve(rows: Int, inFeatures: Int, rank: Int, outFeatures: Int) {
        let g = max(1, rows * inFeatures), l = max(1, rows * rank), d = max(1, rows * outFeatures)
        if gathered.count < g { gathered = [Float](repeating: 0, count: g) }
        if low.count < l { low = [Float](repeating: 0, count: l) }
        if delta.count < d { delta = [Float](repeating: 0, count: d) }
    }
}
