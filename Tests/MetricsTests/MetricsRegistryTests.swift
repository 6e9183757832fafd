import Testing
import Foundation
@testable import Metrics

@Suite struct MetricsRegistryTests {
    @Test func aSmallRegistryRendersExactlyTheTextFormat() throws {
        let registry = MetricsRegistry()
        let requests = try registry.counter("t_requests", help: "Requests served.", labels: ["code"])
        let depth = try registry.gauge("t_queue_depth", help: "Waiting requests.")
        let latency = try registry.histogram("t_latency_seconds", help: "Latency.\nSecond \\ line.", buckets: [0.5, 1])
        requests.increment(labels: ["200"])
        requests.increment(by: 2, labels: ["500"])
        depth.set(3)
        latency.observe(0.25)
        latency.observe(1)
        latency.observe(7.5)
        #expect(registry.exposition() == """
        # HELP t_requests_total Requests served.
        # TYPE t_requests_total counter
        t_requests_total{code="200"} 1
        t_requests_total{code="500"} 2
        # HELP t_queue_depth Waiting requests.
        # TYPE t_queue_depth gauge
        t_queue_depth 3
        # HELP t_latency_seconds Latency.\\nSecond \\\\ line.
        # TYPE t_latency_seconds histogram
        t_latency_seconds_bucket{le="0.5"} 1
        t_latency_seconds_bucket{le="1"} 2
        t_latency_seconds_bucket{le="+Inf"} 3
        t_latency_seconds_sum 8.75
        t_latency_seconds_count 3

        """)
    }

    @Test func setOnlyLeavesExactlyOneSeriesOfAnInfoGauge() throws {
        let registry = MetricsRegistry()
        let info = try registry.gauge("t:info", help: "State.", labels: ["running", "waiting"])
        info.set(1, labels: ["a", ""])
        info.set(2, labels: ["b", "c"])
        info.setOnly(1_700_000_000.5, labels: ["a,b", "c"])
        #expect(registry.exposition() == """
        # HELP t:info State.
        # TYPE t:info gauge
        t:info{running="a,b",waiting="c"} 1700000000.5

        """)
    }

    @Test func labelValuesEscapeBackslashQuoteAndNewline() {
        #expect(MetricsRegistry.escapeLabelValue("a\\b\"c\nd") == #"a\\b\"c\nd"#)
        #expect(MetricsRegistry.escapeLabelValue("plain-ü") == "plain-ü")
    }

    @Test func specialValuesUseTheGoSpelling() {
        #expect(MetricsRegistry.formatValue(.nan) == "NaN")
        #expect(MetricsRegistry.formatValue(.infinity) == "+Inf")
        #expect(MetricsRegistry.formatValue(-.infinity) == "-Inf")
        #expect(MetricsRegistry.formatValue(42) == "42")
        #expect(MetricsRegistry.formatValue(0.1) == "0.1")
        #expect(Double(MetricsRegistry.formatValue(1e-7)) == 1e-7)
    }

    @Test func countersMoveByTheRightAmountsFromManyThreads() throws {
        let registry = MetricsRegistry()
        let tokens = try registry.counter("t_tokens_total", help: "Tokens.", labels: ["adapter"])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for _ in 0..<1000 {
                tokens.increment(labels: ["a"])
                tokens.increment(by: 0.5, labels: [i % 2 == 0 ? "b" : "c"])
            }
        }
        tokens.increment(by: -5, labels: ["a"])   // ignored: counters never go down
        tokens.increment(by: .nan, labels: ["a"])  // ignored
        #expect(tokens.value(labels: ["a"]) == 8000)
        #expect(tokens.value(labels: ["b"]) == 2000)
        #expect(tokens.value(labels: ["c"]) == 2000)
        #expect(tokens.name == "t_tokens_total")
    }

    @Test func histogramBucketsMatchADirectCount() throws {
        let registry = MetricsRegistry()
        let bounds = HistogramMetric.latencyBuckets
        let h = try registry.histogram("t_seconds", help: "h", labels: ["adapter"], buckets: bounds)
        // Deterministic values over 0…100 s, plus every bound exactly (`le` is inclusive).
        var state: UInt64 = 0x9E3779B97F4A7C15
        var values: [Double] = bounds
        for _ in 0..<5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(Double(state >> 11) / Double(1 << 53) * Double(1 << (state % 7)) / 1.28)
        }
        for v in values { h.observe(v, labels: ["x"]) }
        let snapshot = h.snapshot(labels: ["x"])
        let expected = bounds.map { b in UInt64(values.filter { $0 <= b }.count) } + [UInt64(values.count)]
        #expect(snapshot.cumulative == expected)
        #expect(snapshot.count == UInt64(values.count))
        #expect(snapshot.sum == values.reduce(0, +))
        h.observe(.nan, labels: ["x"])
        #expect(h.snapshot(labels: ["x"]).count == UInt64(values.count))
    }

    @Test func badRegistrationsAreTypedErrors() throws {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError.invalidMetricName("9lives")) { try registry.gauge("9lives", help: "") }
        #expect(throws: MetricsError.invalidLabelName(metric: "g", label: "__x")) { try registry.gauge("g", help: "", labels: ["__x"]) }
        #expect(throws: MetricsError.invalidLabelName(metric: "h", label: "le")) { try registry.histogram("h", help: "", labels: ["le"]) }
        #expect(throws: MetricsError.invalidBuckets(metric: "h")) { try registry.histogram("h", help: "", buckets: [1, 1]) }
        let first = try registry.counter("c", help: "C.")
        let again = try registry.counter("c_total", help: "C.")
        first.increment()
        #expect(again.value() == 1)  // the identical registration is the same family
        #expect(throws: MetricsError.conflictingRegistration("c_total")) { try registry.gauge("c_total", help: "C.") }
        _ = try registry.histogram("lat", help: "L.")
        #expect(throws: MetricsError.conflictingRegistration("lat_count")) { try registry.gauge("lat_count", help: "x") }
    }

    @Test func processMetricsReadProc() throws {
        #expect(ProcessMetrics.parseStatm("100 25 3 1 0 20 0\n", field: 1, pageSize: 4096) == 102_400)
        #expect(ProcessMetrics.parseStatm("100\n", field: 1, pageSize: 4096) == nil)
        // Second source: VmRSS in /proc/self/status (kB), read before and
        // after. Concurrent tests move RSS, so only the order of magnitude
        // within that bracket is compared.
        func vmRSS() throws -> UInt64 {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
            return try #require(line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }) * 1024
        }
        let before = try vmRSS()
        let rss = try #require(ProcessMetrics.residentMemoryBytes())
        let after = try vmRSS()
        #expect(rss > min(before, after) / 2 && rss < max(before, after) * 2)
        #expect((ProcessMetrics.openFileDescriptors() ?? 0) > 2)
    }
}
