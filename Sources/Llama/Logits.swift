import Kernels

/// The logits a forward pass computed: one vocab-wide row per batch row that
/// asked for them (`ForwardRow.needsLogits`).
public struct Logits: Sendable {
    public let vocabSize: Int
    /// Batch row indices that have logits, ascending.
    public let rows: [Int]
    /// (rows.count, vocabSize) row-major
    public let values: [Float]

    /// The logits of batch row `row`, or nil if that row did not ask for them.
    public subscript(row: Int) -> ArraySlice<Float>? {
        guard let i = rows.firstIndex(of: row) else { return nil }
        return values[(i * vocabSize)..<((i + 1) * vocabSize)]
    }

    /// Whether every logit of `slice` is finite. An adapter or merge that
    /// overflows F32 shows up here as NaN/inf; sampling from it (or encoding
    /// its log-probabilities as JSON) must not happen.
    public static func allFinite(_ slice: ArraySlice<Float>) -> Bool {
        slice.withUnsafeBufferPointer { b in b.baseAddress.map { VectorMath.allFinite($0, count: b.count) } ?? true }
    }
}
