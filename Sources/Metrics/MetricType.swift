/// The Prometheus metric types lorad exposes (`# TYPE` line values).
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}
