import Foundation

/// Bounds the cardinality of one label (the adapter name): at most `limit`
/// values get series of their own, every other value is reported as `other`.
///
/// Admission is by use count: a value gets a slot while one is free; once all
/// are taken it displaces the least-used admitted value as soon as it has been
/// used strictly more often. The displaced value's counter and histogram
/// series are folded into the `other` series of every attached family (gauges
/// are dropped), so each counter stays monotonic and the sum over all series
/// is always the true total — Prometheus' `rate()` never sees a spurious reset.
///
/// Use counts are kept for at most `max(16 × limit, 1024)` values; past that
/// the counts of non-admitted values are forgotten (memory stays bounded even
/// if clients invent adapter names).
///
/// `@unchecked Sendable`: all mutable state is guarded by `lock`.
public final class TopLabelValues: @unchecked Sendable {
    public let limit: Int
    /// The value standing for every non-admitted one.
    public let other: String

    private let lock = NSLock()
    private var uses: [String: UInt64] = [:]
    private var admitted: Set<String> = []
    private var attached: [(family: MetricFamily, index: Int)] = []
    private let trackingCap: Int

    public init(limit: Int, other: String = "other") {
        self.limit = max(0, limit)
        self.other = other
        trackingCap = max(16 * max(1, limit), 1024)
    }

    /// Folds/drops series of displaced values in these families (`label` is
    /// the label this helper bounds).
    public func attach(_ counter: CounterMetric, label: String) { attach(counter.family, label: label) }
    public func attach(_ histogram: HistogramMetric, label: String) { attach(histogram.family, label: label) }
    public func attach(_ gauge: GaugeMetric, label: String) { attach(gauge.family, label: label) }

    private func attach(_ family: MetricFamily, label: String) {
        guard let index = family.labelNames.firstIndex(of: label) else { return }
        lock.lock(); defer { lock.unlock() }
        attached.append((family, index))
    }

    /// Records one use of `value` and returns the label value to record it
    /// under: `value` itself, or `other`.
    public func label(for value: String) -> String {
        lock.lock(); defer { lock.unlock() }
        if value == other { return other }
        if uses.count >= trackingCap, uses[value] == nil {
            uses = uses.filter { admitted.contains($0.key) }
        }
        let count = (uses[value] ?? 0) + 1
        uses[value] = count
        if admitted.contains(value) { return value }
        if admitted.count < limit {
            admitted.insert(value)
            return value
        }
        guard let weakest = admitted.min(by: { (uses[$0] ?? 0, $0) < (uses[$1] ?? 0, $1) }),
              count > (uses[weakest] ?? 0) else { return other }
        admitted.remove(weakest)
        admitted.insert(value)
        for (family, index) in attached {
            family.removeSeries(labelIndex: index, value: weakest, foldInto: other)
        }
        return value
    }

    /// Frees `value`'s slot (its adapter was deleted): its series are folded
    /// into `other` like a displaced value's, and its count is forgotten.
    public func forget(_ value: String) {
        lock.lock(); defer { lock.unlock() }
        uses[value] = nil
        guard admitted.remove(value) != nil else { return }
        for (family, index) in attached {
            family.removeSeries(labelIndex: index, value: value, foldInto: other)
        }
    }

    /// The values that currently have series of their own.
    public var admittedValues: Set<String> {
        lock.lock(); defer { lock.unlock() }
        return admitted
    }
}
