/// One histogram series at a moment: what `_bucket`, `_sum` and `_count` show.
public struct HistogramSnapshot: Equatable, Sendable {
    /// The finite upper bounds (`le`), ascending; `+Inf` is implicit.
    public var bounds: [Double]
    /// Observations per bucket, NOT cumulative: `counts[i]` holds values in
    /// (bounds[i-1], bounds[i]]; the extra last element holds values above
    /// every bound. (count = bounds.count + 1)
    public var counts: [UInt64]
    public var sum: Double
    public var count: UInt64

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = [UInt64](repeating: 0, count: bounds.count + 1)
        sum = 0
        count = 0
    }

    /// Cumulative counts as exposed: `cumulative[i]` = observations ≤ bounds[i];
    /// the last element (`le="+Inf"`) equals `count`.
    public var cumulative: [UInt64] {
        var running: UInt64 = 0
        return counts.map { running += $0; return running }
    }

    /// NaN is ignored: it would turn `_sum` into NaN for the life of the process.
    mutating func observe(_ value: Double) {
        guard !value.isNaN else { return }
        // First bound ≥ value: `le` is inclusive ("less than or equal").
        var low = 0, high = bounds.count
        while low < high {
            let mid = (low + high) / 2
            if bounds[mid] >= value { high = mid } else { low = mid + 1 }
        }
        counts[low] += 1
        sum += value
        count += 1
    }

    mutating func merge(_ other: HistogramSnapshot) {
        for i in counts.indices where i < other.counts.count { counts[i] += other.counts[i] }
        sum += other.sum
        count += other.count
    }
}
