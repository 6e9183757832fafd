/// A monotonically increasing counter family (exposed as `NAME_total`).
public struct CounterMetric: Sendable {
    let family: MetricFamily

    /// The exposed name, `…_total`.
    public var name: String { family.name }

    /// Adds `amount` (negative or NaN amounts are ignored: a counter never goes down).
    public func increment(by amount: Double = 1, labels: [String] = []) {
        guard amount >= 0 else { return }
        family.add(amount, labels: labels)
    }

    /// The current value of one series (0 if it never moved).
    public func value(labels: [String] = []) -> Double { family.scalar(labels: labels) }
}
