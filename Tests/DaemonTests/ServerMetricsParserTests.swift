import Testing
import Foundation
import TestSupport
@testable import Daemon

/// lorad's own metric families read back by the Prometheus Python client's
/// parser (`PrometheusReferenceParser`).
@Suite struct ServerMetricsParserTests {
    /// Adapters named like the base's and the overflow's labels get series
    /// of their own, under their spec with its weight.
    @Test func adaptersNamedBaseOrOtherKeepTheirOwnSeries() throws {
        let metrics = try ServerMetrics(adapterSeriesLimit: 10, buildInfo: [:])
        #expect(metrics.adapterLabel(nil) == "base")
        #expect(metrics.adapterLabel("base") == "base:1")
        #expect(metrics.adapterLabel("other") == "other:1")
        #expect(metrics.adapterLabel("base:0.5") == "base:0.5")
        #expect(metrics.adapterLabel("python") == "python")
    }

    @Test(.enabled(if: PrometheusReferenceParser.python != nil,
                   "needs python3 with prometheus_client (pip install prometheus_client)"))
    func theServerMetricsParseWithBoundedAdapterSeries() throws {
        let python = try #require(PrometheusReferenceParser.python)
        let metrics = try ServerMetrics(adapterSeriesLimit: 3, buildInfo: ["version": "test", "commit": "abc123"])
        for i in 0..<10 {
            let label = metrics.adapterLabel("adapter-\(i % 6)")
            metrics.completions.increment(labels: [label])
            metrics.completionTokens.increment(by: 5, labels: [label])
            metrics.timeToFirstToken.observe(0.01, labels: [label])
        }
        metrics.completions.increment(labels: [metrics.adapterLabel(nil)])
        metrics.httpRequests.increment(labels: ["/v1/completions", "POST", "200"])
        metrics.batchSize.observe(3)
        let families = try PrometheusReferenceParser.parse(metrics.registry.exposition(), python: python)
        let completions = try #require(families.first { $0.name == "lorad_completions" })
        let labels = Set(completions.samples.compactMap { $0.labels["adapter"] })
        #expect(labels.count <= 3 + 2)   // three adapters, "other", "base"
        #expect(labels.contains("base"))
        #expect(completions.samples.compactMap { Double($0.value) }.reduce(0, +) == 11)
        let tokens = try #require(families.first { $0.name == "lorad_completion_tokens" })
        #expect(tokens.samples.compactMap { Double($0.value) }.reduce(0, +) == 50)
        // lorad's own process-level families, beside the standard process_* ones.
        let byName = Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["lorad_uptime_seconds"]?.samples.first.flatMap { Double($0.value) }.map { $0 >= 0 } == true)
        #expect(byName["process_resident_memory_bytes"] != nil)
        let build = try #require(byName["lorad_build_info"]?.samples.first)
        #expect(build.labels == ["commit": "abc123", "version": "test"])
        #expect(Double(build.value) == 1)
    }
}
