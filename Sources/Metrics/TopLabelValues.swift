import Synchronization

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
/// All mutable state lives in one `Mutex`.
public final class TopLabelValues: Sendable {
    public let limit: Int
    /// The value standing for every non-admitted one.
    public let other: String

    private struct State {
        var uses: [String: UInt64] = [:]
        var admitted: Set<String> = []
        var attached: [(family: MetricFamily, index: Int)] = []
    }
    private let state = Mutex(State())
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
        state.withLock { $0.attached.append((family, index)) }
    }

    /// Records one use of `value` and returns the label value to record it
    /// under: `value` itself, or `other`.
    public func label(for value: String) -> String {
        if value == other { return other }
        return state.withLock { s in
            if s.uses.count >= trackingCap, s.uses[value] == nil {
                s.uses = s.uses.filter { s.admitted.contains($0.key) }
            }
            let count = (s.uses[value] ?? 0) + 1
            s.uses[value] = count
            if s.admitted.contains(value) { return value }
            if s.admitted.count < limit {
                s.admitted.insert(value)
                return value
            }
            guard let weakest = s.admitted.min(by: { (s.uses[$0] ?? 0, $0) < (s.uses[$1] ?? 0, $1) }),
                  count > (s.uses[weakest] ?? 0) else { return other }
            s.admitted.remove(weakest)
            s.admitted.insert(value)
            for (family, index) in s.attached {
                family.removeSeries(labelIndex: index, value: weakest, foldInto: other)
            }
            return value
        }
    }

    /// Frees `value`'s slot (its adapter was deleted): its series are folded
    /// into `other` like a displaced value's, and its count is forgotten.
    public func forget(_ value: String) {
        state.withLock { s in
            s.uses[value] = nil
            guard s.admitted.remove(value) != nil else { return }
            for (family, index) in s.attached {
                family.removeSeries(labelIndex: index, value: value, foldInto: other)
            }
        }
    }

    /// The values that currently have series of their own.
    public var admittedValues: Set<String> {
        state.withLock { $0.admitted }
    }
}
