import Testing
import Foundation
import TestSupport
@testable import Metrics

/// Cross-checks the exposition with the reference parser of the Prometheus
/// Python client (`PrometheusReferenceParser`).
@Suite struct PrometheusParserTests {
    @Test(.enabled(if: PrometheusReferenceParser.python != nil,
                   "needs python3 with prometheus_client (pip install prometheus_client)"))
    func theReferenceParserReadsBackEverySample() throws {
        let python = try #require(PrometheusReferenceParser.python)
        let registry = MetricsRegistry()
        let requests = try registry.counter("lorad_requests", help: "Requests by endpoint.", labels: ["endpoint", "adapter"])
        let queue = try registry.gauge("lorad_queue_depth", help: "Requests waiting.")
        let latency = try registry.histogram("lorad_request_seconds", help: "Request latency.", labels: ["adapter"])
        try ProcessMetrics.register(in: registry)
        let tricky = "we\\nird \\\\ \"name\"\nline2"  // a literal backslash-n, a double backslash, quotes, a newline
        requests.increment(by: 3, labels: ["completions", tricky])
        requests.increment(labels: ["models", "-"])
        queue.set(-2)
        let observations = [0.0005, 0.003, 0.003, 0.2, 1.5, 100]
        for v in observations { latency.observe(v, labels: [tricky]) }

        let families = try PrometheusReferenceParser.parse(registry.exposition(), python: python)
        let byName = Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        let counter = try #require(byName["lorad_requests"])
        #expect(counter.type == "counter")
        #expect(counter.help == "Requests by endpoint.")
        let trickySample = try #require(counter.samples.first { $0.labels["adapter"] == tricky })
        #expect(trickySample.name == "lorad_requests_total")
        #expect(Double(trickySample.value) == 3)
        #expect(counter.samples.count == 2)

        #expect(byName["lorad_queue_depth"]?.samples.first.flatMap { Double($0.value) } == -2)

        let histogram = try #require(byName["lorad_request_seconds"])
        #expect(histogram.type == "histogram")
        let buckets = histogram.samples.filter { $0.name == "lorad_request_seconds_bucket" }
        #expect(buckets.count == HistogramMetric.latencyBuckets.count + 1)
        for sample in buckets {
            let le = try #require(sample.labels["le"].flatMap { Double($0) })
            let direct = observations.filter { $0 <= le }.count
            #expect(Double(sample.value) == Double(direct), "le=\(le)")
            #expect(sample.labels["adapter"] == tricky)
        }
        let sum = try #require(histogram.samples.first { $0.name == "lorad_request_seconds_sum" })
        #expect(abs((Double(sum.value) ?? 0) - observations.reduce(0, +)) < 1e-9)

        for name in ["process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds",
                     "process_start_time_seconds"] {
            #expect(byName[name] != nil, "\(name) missing")
        }
        #expect(byName["process_resident_memory_bytes"]?.samples.first.flatMap { Double($0.value) } ?? 0 > 0)
    }
}
