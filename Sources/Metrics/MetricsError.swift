/// A metric that cannot be registered (a programming mistake, reported as a
/// typed error at startup instead of a crash).
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `[a-zA-Z_:][a-zA-Z0-9_:]*` (Prometheus data model, "Metric names and labels").
    case invalidMetricName(String)
    /// Not `[a-zA-Z_][a-zA-Z0-9_]*`, starts with the reserved `__`, or is
    /// `le` on a histogram.
    case invalidLabelName(metric: String, label: String)
    /// The name is registered already with another type, help or label set.
    case conflictingRegistration(String)
    /// Histogram bounds must be finite and strictly increasing.
    case invalidBuckets(metric: String)

    public var description: String {
        switch self {
        case .invalidMetricName(let n): return "invalid metric name '\(n)'"
        case let .invalidLabelName(m, l): return "metric \(m): invalid label name '\(l)'"
        case .conflictingRegistration(let n): return "metric \(n) is already registered differently"
        case .invalidBuckets(let m): return "metric \(m): bucket bounds must be finite and strictly increasing"
        }
    }
}
