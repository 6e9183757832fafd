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
    /// (rows, out) (x·Aᵀ)·Bᵀ before the scatter-add
    var delta: [Float] = []

    public init() {}

    func reserve(rows: Int, inFeatures: Int, rank: Int, outFeatures: Int) {
        if gathered.count < rows * inFeatures { gathered = [Float](repeating: 0, count: rows * inFeatures) }
        if low.count < rows * rank { low = [Float](repeating: 0, count: rows * rank) }
        if delta.count < rows * outFeatures { delta = [Float](repeating: 0, count: rows * outFeatures) }
    }
}
