import Synchronization

/// One metric name with all its labelled series; the storage behind the
/// `CounterMetric` / `GaugeMetric` / `HistogramMetric` handles.
///
/// The series live in a `Mutex`; everything else is immutable.
final class MetricFamily: Sendable {
    let name: String          // the exposed name (`…_total` for counters)
    let help: String
    let type: MetricType
    let labelNames: [String]
    let bounds: [Double]      // histograms only
    /// Computed at scrape time instead of stored (process metrics).
    let collect: (@Sendable () -> [(labels: [String], value: Double)])?

    private struct Series {
        var scalars: [[String]: Double] = [:]
        var histograms: [[String]: HistogramSnapshot] = [:]
    }
    private let series = Mutex(Series())

    init(name: String, help: String, type: MetricType, labelNames: [String], bounds: [Double] = [],
         collect: (@Sendable () -> [(labels: [String], value: Double)])? = nil) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.bounds = bounds
        self.collect = collect
    }

    /// A label-value list of the wrong length is a programming error; it is
    /// dropped (never crash a server over a metric) and trips debug builds.
    private func valid(_ labels: [String]) -> Bool {
        guard labels.count == labelNames.count else {
            assertionFailure("metric \(name) takes labels \(labelNames), got \(labels)")
            return false
        }
        return true
    }

    func add(_ delta: Double, labels: [String]) {
        guard valid(labels) else { return }
        series.withLock { $0.scalars[labels, default: 0] += delta }
    }

    func set(_ value: Double, labels: [String]) {
        guard valid(labels) else { return }
        series.withLock { $0.scalars[labels] = value }
    }

    /// Leaves exactly one series: `labels` with `value`.
    func replaceAll(_ value: Double, labels: [String]) {
        guard valid(labels) else { return }
        series.withLock { $0.scalars = [labels: value] }
    }

    func observe(_ value: Double, labels: [String]) {
        guard valid(labels) else { return }
        series.withLock { $0.histograms[labels, default: HistogramSnapshot(bounds: bounds)].observe(value) }
    }

    func scalar(labels: [String]) -> Double {
        series.withLock { $0.scalars[labels] ?? 0 }
    }

    func histogram(labels: [String]) -> HistogramSnapshot {
        series.withLock { $0.histograms[labels] } ?? HistogramSnapshot(bounds: bounds)
    }

    /// Removes series whose label at `index` is `value`. With `foldInto`,
    /// counters and histograms add the removed counts to the series where that
    /// label is `foldInto` instead, so the sum over all series (and the target
    /// series itself) never goes down.
    func removeSeries(labelIndex index: Int, value: String, foldInto other: String?) {
        guard index < labelNames.count else { return }
        series.withLock { s in
            for key in Array(s.scalars.keys) where key[index] == value {
                let removed = s.scalars.removeValue(forKey: key) ?? 0
                if let other, type == .counter {
                    var target = key
                    target[index] = other
                    s.scalars[target, default: 0] += removed
                }
            }
            for key in Array(s.histograms.keys) where key[index] == value {
                guard let removed = s.histograms.removeValue(forKey: key) else { continue }
                if let other {
                    var target = key
                    target[index] = other
                    s.histograms[target, default: HistogramSnapshot(bounds: bounds)].merge(removed)
                }
            }
        }
    }

    /// A consistent copy of every series, sorted by label values so the
    /// exposition is deterministic.
    func snapshot() -> (scalars: [([String], Double)], histograms: [([String], HistogramSnapshot)]) {
        if let collect {
            return (collect().map { ($0.labels, $0.value) }.filter { $0.0.count == labelNames.count }, [])
        }
        let (scalars, histograms) = series.withLock { ($0.scalars, $0.histograms) }
        let s = scalars.map { ($0.key, $0.value) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        let h = histograms.map { ($0.key, $0.value) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        return (s, h)
    }
}
