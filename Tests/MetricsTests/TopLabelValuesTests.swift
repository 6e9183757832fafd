import Testing
@testable import Metrics

@Suite struct TopLabelValuesTests {
    @Test func atMostLimitValuesGetSeriesAndCountersStayMonotonic() throws {
        let registry = MetricsRegistry()
        let requests = try registry.counter("t_adapter_requests", help: "r", labels: ["adapter", "status"])
        let latency = try registry.histogram("t_adapter_seconds", help: "l", labels: ["adapter"], buckets: [1])
        let top = TopLabelValues(limit: 2)
        top.attach(requests, label: "adapter")
        top.attach(latency, label: "adapter")

        var previousOther = 0.0
        var total = 0.0
        // a and b take the two slots; c needs more uses than the weaker of them.
        let uses = ["a", "a", "b", "c", "c", "a", "c", "d", "other"]
        var seen: [Set<String>] = []
        for name in uses {
            let label = top.label(for: name)
            requests.increment(labels: [label, "200"])
            latency.observe(0.5, labels: [label])
            total += 1
            let series = ["a", "b", "c", "d"].map { requests.value(labels: [$0, "200"]) }
            let other = requests.value(labels: ["other", "200"])
            #expect(series.reduce(0, +) + other == total)  // nothing lost when a value is displaced
            #expect(other >= previousOther)                 // "other" never goes down
            #expect(top.admittedValues.count <= 2)
            previousOther = other
            seen.append(top.admittedValues)
        }
        #expect(seen[2] == ["a", "b"])
        #expect(seen[3] == ["a", "b"])   // c used once: not more than b's once
        #expect(seen[4] == ["a", "c"])   // c used twice: displaces b
        #expect(requests.value(labels: ["b", "200"]) == 0)
        #expect(latency.snapshot(labels: ["other"]).count + latency.snapshot(labels: ["a"]).count
                + latency.snapshot(labels: ["c"]).count == UInt64(uses.count))

        top.forget("a")   // the adapter was deleted
        #expect(top.admittedValues == ["c"])
        #expect(requests.value(labels: ["a", "200"]) == 0)
        #expect(requests.value(labels: ["other", "200"]) + requests.value(labels: ["c", "200"]) == total)
    }
}
