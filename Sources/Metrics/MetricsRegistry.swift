import Synchronization

/// A small Prometheus registry: counters, gauges, histograms with label sets,
/// rendered in the text exposition format 0.0.4 for `GET /metrics`.
///
/// Register families once at startup (registration is idempotent for an
/// identical definition), keep the returned handles, and update them from any
/// thread. Series appear on first use and are listed sorted by label values.
///
/// `families` lives in a `Mutex`; each family guards its own series.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let families = Mutex<[MetricFamily]>([])

    public init() {}

    /// Registers (or returns the identical existing) counter family.
    /// - Parameter name: with or without the `_total` suffix; exposed with it.
    public func counter(_ name: String, help: String, labels: [String] = []) throws(MetricsError) -> CounterMetric {
        let exposed = name.hasSuffix("_total") ? name : name + "_total"
        return CounterMetric(family: try register(MetricFamily(name: exposed, help: help, type: .counter, labelNames: labels)))
    }

    /// Registers (or returns the identical existing) gauge family.
    public func gauge(_ name: String, help: String, labels: [String] = []) throws(MetricsError) -> GaugeMetric {
        GaugeMetric(family: try register(MetricFamily(name: name, help: help, type: .gauge, labelNames: labels)))
    }

    /// Registers (or returns the identical existing) histogram family.
    /// - Parameter buckets: finite upper bounds, strictly increasing; `+Inf` is added.
    public func histogram(_ name: String, help: String, labels: [String] = [],
                          buckets: [Double] = HistogramMetric.latencyBuckets) throws(MetricsError) -> HistogramMetric {
        guard !buckets.isEmpty, buckets.allSatisfy(\.isFinite),
              zip(buckets, buckets.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .invalidBuckets(metric: name)
        }
        if labels.contains("le") { throw .invalidLabelName(metric: name, label: "le") }
        return HistogramMetric(family: try register(MetricFamily(name: name, help: help, type: .histogram,
                                                                 labelNames: labels, bounds: buckets)))
    }

    /// A gauge (or counter) computed when scraped — process memory, uptime,
    /// anything cheaper to read than to keep current. `collect` runs on the
    /// scraping thread and must be thread-safe.
    public func computed(_ name: String, help: String, type: MetricType = .gauge, labels: [String] = [],
                         collect: @escaping @Sendable () -> [(labels: [String], value: Double)]) throws(MetricsError) {
        let exposed = type == .counter && !name.hasSuffix("_total") ? name + "_total" : name
        _ = try register(MetricFamily(name: exposed, help: help, type: type == .histogram ? .gauge : type,
                                      labelNames: labels, collect: collect))
    }

    private func register(_ family: MetricFamily) throws(MetricsError) -> MetricFamily {
        guard MetricsRegistry.isMetricName(family.name) else { throw .invalidMetricName(family.name) }
        for label in family.labelNames where !MetricsRegistry.isLabelName(label) {
            throw .invalidLabelName(metric: family.name, label: label)
        }
        return try families.withLock { (families) throws(MetricsError) -> MetricFamily in
            if let existing = families.first(where: { $0.name == family.name || MetricsRegistry.clash($0, family) }) {
                guard existing.name == family.name, existing.type == family.type, existing.help == family.help,
                      existing.labelNames == family.labelNames, existing.bounds == family.bounds,
                      existing.collect == nil, family.collect == nil else {
                    throw .conflictingRegistration(family.name)
                }
                return existing
            }
            families.append(family)
            return family
        }
    }

    /// A histogram `x` owns `x_bucket`, `x_sum`, `x_count`: no other family may use them.
    private static func clash(_ a: MetricFamily, _ b: MetricFamily) -> Bool {
        func names(_ f: MetricFamily) -> Set<String> {
            f.type == .histogram ? [f.name, f.name + "_bucket", f.name + "_sum", f.name + "_count"] : [f.name]
        }
        return !names(a).isDisjoint(with: names(b))
    }

    /// The registered families, in registration order.
    var allFamilies: [MetricFamily] {
        families.withLock { $0 }
    }

    static func isMetricName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isNameStart(first) || first == ":" else { return false }
        return s.unicodeScalars.allSatisfy { isNameStart($0) || $0 == ":" || ("0"..."9").contains($0) }
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isNameStart(first), !s.hasPrefix("__") else { return false }
        return s.unicodeScalars.allSatisfy { isNameStart($0) || ("0"..."9").contains($0) }
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }
}
