import Foundation
import Testing
import TestSupport

/// The model-server protocol's metrics under vLLM's names, as the endpoint
/// picker reads them, parsed by the Prometheus Python client: with
/// max_batch 4 and max_loras 2, three streams on adapters a and b run while
/// a fourth request, on c, waits.
@Suite struct ModelServerMetricsEndToEndTests {
    struct Family {
        var type: String
        var samples: [(labels: [String: String], value: Double)]
    }

    static func scrape(_ daemon: LoradProcess, python: String) throws -> [String: Family] {
        try parse(try scrapeText(daemon), python: python)
    }

    static func scrapeText(_ daemon: LoradProcess) throws -> String {
        let response = try Curl.get(daemon.baseURL + "/metrics")
        try #require(response.status == 200)
        return response.text
    }

    static func parse(_ text: String, python: String) throws -> [String: Family] {
        let parsed = try PrometheusReferenceParser.parse(text, python: python)
        var families: [String: Family] = [:]
        for f in parsed {
            families[f.name] = Family(type: f.type, samples: f.samples.map { ($0.labels, Double($0.value) ?? .nan) })
        }
        return families
    }

    /// The one unlabeled sample of a gauge (what the picker's extractor takes).
    static func gauge(_ families: [String: Family], _ name: String) throws -> Double {
        let family = try #require(families[name], "\(name) missing")
        #expect(family.type == "gauge")
        try #require(family.samples.count == 1, "\(name): \(family.samples.count) series")
        #expect(family.samples[0].labels.isEmpty)
        return family.samples[0].value
    }

    /// The one `vllm:lora_requests_info` series: (max_lora, running, waiting, value).
    static func loraInfo(_ families: [String: Family]) throws -> (maxLora: String, running: Set<String>, waiting: Set<String>, value: Double) {
        let family = try #require(families["vllm:lora_requests_info"], "vllm:lora_requests_info missing")
        #expect(family.type == "gauge")
        try #require(family.samples.count == 1, "\(family.samples.count) series")
        let sample = family.samples[0]
        #expect(Set(sample.labels.keys) == ["max_lora", "running_lora_adapters", "waiting_lora_adapters"])
        func names(_ label: String) -> Set<String> {
            Set((sample.labels[label] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return (sample.labels["max_lora"] ?? "", names("running_lora_adapters"), names("waiting_lora_adapters"), sample.value)
    }

    @Test(.enabled(if: PrometheusReferenceParser.python != nil,
                   "needs python3 with prometheus_client (pip install prometheus_client)"))
    func runningAndWaitingAdaptersQueueAndKVCacheAreReportedUnderVLLMNames() throws {
        let python = try #require(PrometheusReferenceParser.python)
        let daemon = try LoradProcess(arguments: ["--max-batch", "4", "--max-loras", "2"])
        defer { daemon.cleanUp() }
        let (a, b, c) = ("adapter-a", "adapter-b", "adapter-c")
        for (fixture, name) in [("python-qv-r8", a), ("upper-all-r4", b), ("rslora-qkvo-r16", c)] {
            try #require(try LiveChangeEndToEndTests.upload(daemon, fixture, as: name).status == 201)
        }

        let idle = try Self.scrape(daemon, python: python)
        #expect(try Self.gauge(idle, "vllm:num_requests_waiting") == 0)
        #expect(try Self.gauge(idle, "vllm:num_requests_running") == 0)
        #expect(try Self.gauge(idle, "vllm:kv_cache_usage_perc") == 0)
        #expect(try Self.gauge(idle, "vllm:gpu_cache_usage_perc") == 0)
        let idleInfo = try Self.loraInfo(idle)
        #expect(idleInfo.maxLora == "2")
        #expect(idleInfo.running.isEmpty && idleInfo.waiting.isEmpty)
        let cacheConfig = try #require(idle["vllm:cache_config_info"]?.samples.first)
        #expect(Set(cacheConfig.labels.keys) == ["block_size", "num_gpu_blocks"])
        #expect(Int(cacheConfig.labels["block_size"] ?? "") ?? 0 > 0)
        #expect(Int(cacheConfig.labels["num_gpu_blocks"] ?? "") ?? 0 > 0)
        #expect(cacheConfig.value == 1)

        var busyInfoValue = 0.0
        try LiveChangeEndToEndTests.whileStreaming { last in
            let streams = try [a, b, a].map { try LiveChangeEndToEndTests.startLongStream(daemon, model: $0) }
            let waiting = try Curl.startJSON(daemon.baseURL + "/v1/completions",
                                             ["prompt": "x", "max_tokens": 4, "temperature": 0, "model": c])
            defer {
                for s in streams { s.terminate() }
                _ = waiting.wait()
            }
            // The fourth request reaches the engine's queue a moment after it
            // is sent (the streams last about a second on the tiny model:
            // scrape fast, parse the scrape that shows it).
            var text = try Self.scrapeText(daemon)
            let deadline = Date().addingTimeInterval(10)
            while !text.contains("\nvllm:num_requests_waiting 1\n"), waiting.isRunning, Date() < deadline {
                text = try Self.scrapeText(daemon)
            }
            let stillStreaming = streams.allSatisfy { !$0.bodySoFar.contains("[DONE]") }
            guard (stillStreaming && text.contains("\nvllm:num_requests_waiting 1\n")) || last else { return false }
            let busy = try Self.parse(text, python: python)
            let info = try Self.loraInfo(busy)
            #expect(info.running == [a, b])
            #expect(info.waiting == [c])
            #expect(info.maxLora == "2")
            #expect(try Self.gauge(busy, "vllm:num_requests_running") == 3)
            #expect(try Self.gauge(busy, "vllm:num_requests_waiting") == 1)
            #expect(abs(info.value - Date().timeIntervalSince1970) < 30, "last change \(info.value)")
            #expect(info.value > idleInfo.value)
            let kv = try Self.gauge(busy, "vllm:kv_cache_usage_perc")
            #expect(kv > 0 && kv <= 1)
            // Pickers released before late 2025 read vLLM's earlier name.
            #expect(try Self.gauge(busy, "vllm:gpu_cache_usage_perc") == kv)
            busyInfoValue = info.value
            return true
        }

        // Everything finished (or was cancelled): the queue, the batch and the
        // KV cache are empty again, and the info series moved on.
        var after = try Self.scrape(daemon, python: python)
        let deadline = Date().addingTimeInterval(30)
        while try Self.gauge(after, "vllm:num_requests_running") > 0 || Self.gauge(after, "vllm:num_requests_waiting") > 0,
              Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            after = try Self.scrape(daemon, python: python)
        }
        #expect(try Self.gauge(after, "vllm:kv_cache_usage_perc") == 0)
        let afterInfo = try Self.loraInfo(after)
        #expect(afterInfo.running.isEmpty && afterInfo.waiting.isEmpty)
        #expect(afterInfo.value > busyInfoValue)
    }

    /// `/v1/models` lists each adapter with `parent` = the base model's id
    /// (the picker's models data source reads it).
    @Test func modelsListEachAdapterWithTheBaseModelAsParent() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        try #require(try LiveChangeEndToEndTests.upload(daemon, "python-qv-r8", as: "sql").status == 201)
        let models = try #require(try Curl.get(daemon.baseURL + "/v1/models").json()["data"] as? [[String: Any]])
        let base = try #require(models.first { $0["parent"] is NSNull || $0["parent"] == nil })
        let baseID = try #require(base["id"] as? String)
        let adapter = try #require(models.first { $0["id"] as? String == "sql" })
        #expect(adapter["parent"] as? String == baseID)
        #expect(adapter["root"] as? String == baseID)
    }
}
