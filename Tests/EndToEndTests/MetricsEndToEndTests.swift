import Foundation
import Testing
import TestSupport

/// `GET /metrics` of the real daemon, read by the Prometheus Python client's
/// parser, before and after known requests: the counters move by exactly
/// what the responses themselves report.
@Suite struct MetricsEndToEndTests {
    /// (sample name, sorted labels) → value, from the reference parser.
    typealias Samples = [String: Double]

    static func key(_ name: String, _ labels: [String: String] = [:]) -> String {
        name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
    }

    static func scrape(_ daemon: LoradProcess, python: String) throws -> (samples: Samples, families: Set<String>) {
        let text = try Curl.get(daemon.baseURL + "/metrics")
        try #require(text.status == 200)
        let families = try PrometheusReferenceParser.parse(text.text, python: python)
        var samples: Samples = [:]
        for family in families {
            for sample in family.samples { samples[key(sample.name, sample.labels)] = Double(sample.value) }
        }
        return (samples, Set(families.map(\.name)))
    }

    @Test(.enabled(if: PrometheusReferenceParser.python != nil,
                   "needs python3 with prometheus_client (pip install prometheus_client)"))
    func countersMoveByTheRequestsMadeAndTheStrictParserAcceptsEverything() throws {
        let python = try #require(PrometheusReferenceParser.python)
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        let adapter = "python-qv-r8"
        try #require(try LiveChangeEndToEndTests.upload(daemon, adapter, as: adapter).status == 201)
        let before = try Self.scrape(daemon, python: python)

        // Three completions on the adapter, stop strings off, no EOS before
        // max_tokens (checked through finish_reason and usage).
        let maxTokens = 7
        var completionTokens = 0, promptTokens = 0
        for prompt in ["def add(a, b):", "import os", "class Stack:"] {
            let r = try Curl.postJSON(daemon.baseURL + "/v1/completions",
                                      ["prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "model": adapter])
            try #require(r.status == 200, "\(r.text)")
            let json = try r.json()
            let usage = try #require(json["usage"] as? [String: Int])
            #expect((json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
            completionTokens += usage["completion_tokens"] ?? 0
            promptTokens += usage["prompt_tokens"] ?? 0
        }
        #expect(completionTokens == 3 * maxTokens)
        let missing = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "model": "no-such-adapter"])
        #expect(missing.status == 404)
        // Live merge: the merge-state gauge names the merged adapter.
        let merged = try Curl.run(["-X", "PUT", "-H", "Content-Type: application/json",
                                   "--data-binary", "{\"adapter\": \"\(adapter)\"}", daemon.baseURL + "/merged"])
        #expect(merged.status == 200, "\(merged.text)")

        let after = try Self.scrape(daemon, python: python)
        func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
            let k = Self.key(name, labels)
            return (after.samples[k] ?? 0) - (before.samples[k] ?? 0)
        }
        let byAdapter = ["adapter": adapter]
        #expect(delta("lorad_completions_total", byAdapter) == 3)
        #expect(delta("lorad_completion_tokens_total", byAdapter) == Double(completionTokens))
        #expect(delta("lorad_prompt_tokens_total", byAdapter) == Double(promptTokens))
        #expect(delta("lorad_time_to_first_token_seconds_count", byAdapter) == 3)
        #expect(delta("lorad_http_requests_total", ["endpoint": "/v1/completions", "method": "POST", "status": "200"]) == 3)
        #expect(delta("lorad_http_requests_total", ["endpoint": "/v1/completions", "method": "POST", "status": "404"]) == 1)
        #expect(delta("lorad_http_requests_total", ["endpoint": "/merged", "method": "PUT", "status": "200"]) == 1)
        #expect(delta("lorad_http_request_duration_seconds_count", ["endpoint": "/v1/completions"]) == 4)
        // Each decode step of these one-at-a-time requests had one sequence.
        #expect(delta("lorad_batch_size_count") >= Double(completionTokens - 3))
        #expect(after.samples[Self.key("lorad_live_merged", byAdapter)] == 1)
        #expect(before.samples.keys.allSatisfy { !$0.hasPrefix("lorad_live_merged{") }, "no merge series before PUT /merged")
        #expect(after.samples[Self.key("lorad_resident_adapters")] == 1)
        #expect((after.samples[Self.key("lorad_adapter_cache_bytes")] ?? 0) > 0)
        // The live merge's lease keeps its adapter in use, well within the default budget.
        #expect((after.samples[Self.key("lorad_adapter_in_use_bytes")] ?? 0) > 0)
        #expect(after.samples[Self.key("lorad_adapter_cache_over_budget_bytes")] == 0)
        #expect(delta("lorad_adapter_cache_misses_total") + delta("lorad_adapter_cache_hits_total") >= 3)

        for family in ["lorad_kv_cache_bytes", "lorad_queue_depth", "lorad_adapter_cache_evictions",
                       "lorad_adapter_swap_seconds", "process_resident_memory_bytes", "lorad_uptime_seconds",
                       "lorad_build_info", "lorad_open_connections", "lorad_adapter_in_use_bytes",
                       "lorad_kv_cache_overflowed_sequences"] {
            #expect(after.families.contains(family), "\(family) missing")
        }
        #expect((after.samples[Self.key("process_resident_memory_bytes")] ?? 0) > 0)

        // While a long stream runs, its KV cache is reserved and it is an active sequence.
        let stream = try LiveChangeEndToEndTests.startLongStream(daemon, model: adapter)
        let during = try Self.scrape(daemon, python: python)
        let stillRunning = !stream.bodySoFar.contains("[DONE]")
        _ = stream.wait()
        if stillRunning {
            #expect((during.samples[Self.key("lorad_kv_cache_bytes")] ?? 0) > 0)
            #expect((during.samples[Self.key("lorad_active_sequences")] ?? 0) >= 1)
        }
    }
}
