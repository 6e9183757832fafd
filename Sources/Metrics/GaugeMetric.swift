/// A value that goes up and down (queue depth, resident adapters, bytes).
public struct GaugeMetric: Sendable {
    let family: MetricFamily

    public var name: String { family.name }

    public func set(_ value: Double, labels: [String] = []) { family.set(value, labels: labels) }

    /// Replaces every series with this one: for an info-style gauge whose
    /// labels describe the current state, so a scraper that takes the first
    /// (or the newest) series can only see the current one.
    public func setOnly(_ value: Double, labels: [String]) { family.replaceAll(value, labels: labels) }

    /// Adds `delta` (negative to decrease).
    public func add(_ delta: Double, labels: [String] = []) { family.add(delta, labels: labels) }

    public func value(labels: [String] = []) -> Double { family.scalar(labels: labels) }

    /// Drops every series whose `label` is `value` (an adapter was deleted).
    public func removeSeries(label: String, value: String) {
        guard let index = family.labelNames.firstIndex(of: label) else { return }
        family.removeSeries(labelIndex: index, value: value, foldInto: nil)
    }
}
