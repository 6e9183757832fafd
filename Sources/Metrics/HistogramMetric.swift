/// A histogram family: cumulative `_bucket{le=…}` series, `_sum`, `_count`.
public struct HistogramMetric: Sendable {
    let family: MetricFamily

    public var name: String { family.name }

    /// The finite bucket bounds (`+Inf` is implicit).
    public var bounds: [Double] { family.bounds }

    public func observe(_ value: Double, labels: [String] = []) { family.observe(value, labels: labels) }

    /// The current state of one series.
    public func snapshot(labels: [String] = []) -> HistogramSnapshot { family.histogram(labels: labels) }

    /// Latency buckets in seconds, from 1 ms to 60 s (request durations, time
    /// to first token, adapter swap time).
    public static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                  0.5, 1, 2.5, 5, 10, 30, 60]

    /// Small-count buckets (batch size, tokens per request up to 4096).
    public static let countBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
}
