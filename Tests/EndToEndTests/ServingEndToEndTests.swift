import Foundation
import Testing
import TestSupport

/// The real daemon over HTTP against the transformers + PEFT references:
/// upload with `curl -F`, complete greedily, compare texts.
@Suite(.serialized) struct ServingEndToEndTests {
    static let adapters = Fixtures.adapterNames

    static func uploadFixtures(_ daemon: LoradProcess) throws {
        for name in adapters {
            let folder = Fixtures.adapter(name)
            let r = try Curl.upload(daemon.baseURL, name: name,
                                    config: folder.appendingPathComponent("adapter_config.json"),
                                    weights: folder.appendingPathComponent("adapter_model.safetensors"))
            try #require(r.status == 201, "upload \(name): \(r.status) \(r.text)")
        }
    }

    /// One greedy completion's text (and the response, for further checks).
    static func complete(_ daemon: LoradProcess, prompt: String, query: String = "", fields: [String: Any] = [:],
                         maxTokens: Int = 24) throws -> (text: String, json: [String: Any]) {
        var body: [String: Any] = ["prompt": prompt, "max_tokens": maxTokens, "temperature": 0]
        for (k, v) in fields { body[k] = v }
        let r = try Curl.postJSON(daemon.baseURL + "/v1/completions" + query, body)
        try #require(r.status == 200, "\(r.status) \(r.text)")
        let json = try r.json()
        let choices = try #require(json["choices"] as? [[String: Any]])
        return (try #require(choices.first?["text"] as? String), json)
    }

    static func streamed(_ daemon: LoradProcess, prompt: String, fields: [String: Any], maxTokens: Int = 24) throws -> String {
        var body: [String: Any] = ["prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "stream": true]
        for (k, v) in fields { body[k] = v }
        let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", body)
        try #require(r.status == 200, "\(r.status) \(r.text)")
        let parsed = try #require(Curl.streamedText(r.text), "malformed stream: \(r.text.prefix(400))")
        #expect(parsed.done, "stream must end with data: [DONE]")
        #expect(parsed.finish == "length" || parsed.finish == "stop")
        return parsed.text
    }

    /// How a job names its adapter (or the base).
    enum Naming: CaseIterable {
        case query, field, model, stream
    }

    struct Job {
        let prompt: String
        let variant: String
        let naming: Naming
        let expected: String
    }

    static func start(_ daemon: LoradProcess, _ job: Job) throws -> Curl.Running {
        var body: [String: Any] = ["prompt": job.prompt, "max_tokens": 24, "temperature": 0]
        var query = ""
        let isBase = job.variant == "base"
        switch job.naming {
        case .query: if !isBase { query = "?adapter=\(job.variant)" }
        case .field: if !isBase { body["adapter"] = job.variant }
        case .model: body["model"] = isBase ? "tiny-llama" : job.variant
        case .stream:
            body["stream"] = true
            body["model"] = isBase ? "tiny-llama" : job.variant
        }
        return try Curl.startJSON(daemon.baseURL + "/v1/completions" + query, body)
    }

    /// The completion text of a finished job (streamed or not).
    static func text(of response: Curl.Response, _ job: Job) -> String? {
        guard response.status == 200 else { return nil }
        if job.naming == .stream {
            guard let parsed = Curl.streamedText(response.text), parsed.done, parsed.finish == "length" else { return nil }
            return parsed.text
        }
        guard let json = try? response.json(), let choice = (json["choices"] as? [[String: Any]])?.first,
              choice["finish_reason"] as? String == "length",
              let usage = json["usage"] as? [String: Int], usage["completion_tokens"] == 24,
              usage["total_tokens"] == (usage["prompt_tokens"] ?? -1) + 24 else { return nil }
        return choice["text"] as? String
    }

    /// Every reference prompt × (base + each adapter), first one request at a
    /// time, then every other way of naming the adapter (query, field, model,
    /// streamed) 16 clients at a time mixing base and adapters; then a restart.
    @Test func completionsEqualTheReferenceForEveryAdapterNamingAndRestart() throws {
        let refs = try References.load()
        let daemon = try LoradProcess(arguments: ["--max-batch", "16"])
        defer { daemon.cleanUp() }
        try Self.uploadFixtures(daemon)

        var jobs: [Job] = []
        for prompt in refs.prompts {
            for variant in ["base"] + Self.adapters {
                let ref = try #require(refs.result(variant, prompt.name))
                #expect(!ref.stopped_at_eos)
                // For the base, `.field` would repeat `.query` (no adapter named at all).
                for naming in Naming.allCases where !(variant == "base" && naming == .field) {
                    jobs.append(Job(prompt: prompt.text, variant: variant, naming: naming, expected: ref.generated_text))
                }
            }
        }
        // Sequential: one request at a time, named by "model".
        var sequential: [String: String] = [:]
        for job in jobs where job.naming == .model {
            let r = try Self.start(daemon, job).wait()
            let text = Self.text(of: r, job)
            #expect(text == job.expected, "\(job.variant) alone: \(r.status) \(r.text.prefix(300))")
            sequential[job.variant + "|" + job.prompt] = text
        }
        // Concurrent: 16 clients at a time, each wave mixing base and adapters.
        let rest = jobs.filter { $0.naming != .model }
        for wave in stride(from: 0, to: rest.count, by: 16) {
            let batch = Array(rest[wave..<min(wave + 16, rest.count)])
            let running = try batch.map { try Self.start(daemon, $0) }
            for (job, run) in zip(batch, running) {
                let text = Self.text(of: run.wait(), job)
                #expect(text == job.expected, "\(job.variant) via \(job.naming)")
                #expect(text == sequential[job.variant + "|" + job.prompt], "concurrent equals sequential")
            }
        }

        // Restart on the same registry: same adapters, hashes and outputs.
        let before = try Self.listing(daemon)
        #expect(Set(before.keys) == Set(Self.adapters))
        #expect(daemon.stop() == 0, "SIGTERM must drain and exit 0")
        let again = try LoradProcess(directory: daemon.directory)
        defer { again.kill9() }
        #expect(try Self.listing(again) == before)
        for job in jobs where job.naming == .model && job.variant != "base" && job.prompt == refs.prompts[0].text {
            #expect(Self.text(of: try Self.start(again, job).wait(), job) == job.expected, "\(job.variant) after restart")
        }
        #expect(again.stop() == 0)
    }

    /// name → sha256 from GET /adapters.
    static func listing(_ daemon: LoradProcess) throws -> [String: String] {
        let r = try Curl.get(daemon.baseURL + "/adapters")
        try #require(r.status == 200)
        let data = try #require(try r.json()["data"] as? [[String: Any]])
        var out: [String: String] = [:]
        for item in data { out[item["name"] as? String ?? "?"] = item["sha256"] as? String ?? "?" }
        return out
    }

    @Test func modelsHealthAndAdapterMetadata() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        try Self.uploadFixtures(daemon)
        let health = try Curl.get(daemon.baseURL + "/health")
        #expect(health.status == 200)
        #expect(try health.json()["status"] as? String == "ok")

        let models = try Curl.get(daemon.baseURL + "/v1/models")
        #expect(models.status == 200)
        let json = try models.json()
        #expect(json["object"] as? String == "list")
        let ids = (json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids) == Set(["tiny-llama"] + Self.adapters))
        for item in json["data"] as? [[String: Any]] ?? [] {
            #expect(item["object"] as? String == "model")
            #expect(item["owned_by"] as? String == "lorad")
            #expect(item["created"] is Int)
        }

        // python-qv-r8: r=8, alpha=16, q,v (its README / adapter_config.json).
        let one = try Curl.get(daemon.baseURL + "/adapters/python-qv-r8")
        #expect(one.status == 200)
        let meta = try one.json()
        #expect(meta["ranks"] as? [Int] == [8])
        #expect(meta["target_modules"] as? [String] == ["q_proj", "v_proj"])
        #expect(meta["base_model_id"] as? String == "tiny-llama")
        #expect(meta["resident"] as? Bool == false)
        let weights = try Data(contentsOf: Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_model.safetensors"))
        #expect(meta["bytes"] as? Int == weights.count)
        #expect(meta["sha256"] as? String == (try ExternalTool.run("/usr/bin/env", ["sha256sum", Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_model.safetensors").path]).stdout.split(separator: " ").first.map(String.init)))
        _ = try Self.complete(daemon, prompt: "Hello", fields: ["model": "python-qv-r8"], maxTokens: 2)
        let after = try Curl.get(daemon.baseURL + "/adapters/python-qv-r8").json()
        #expect(after["resident"] as? Bool == true)
        #expect(after["in_flight"] as? Int == 0)

        // Unknown model / adapter: 404 in the error shape, saying how to name adapters.
        let unknown = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "model": "gpt-4"])
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == 404)
        #expect(unknown.errorMessage?.contains("gpt-4") == true)
        #expect(unknown.errorMessage?.contains("adapter") == true)
        let unknownAdapter = try Curl.postJSON(daemon.baseURL + "/v1/completions?adapter=nope", ["prompt": "x"])
        #expect(unknownAdapter.status == 404)
        // A name that breaks the naming rule is a bad request, and says which rule.
        let badName = try Curl.postJSON(daemon.baseURL + "/v1/completions?adapter=.hidden", ["prompt": "x"])
        #expect(badName.status == 400)
        #expect(badName.errorMessage?.contains("start with a letter or digit") == true, "\(badName.text)")
        #expect(try Curl.get(daemon.baseURL + "/adapters/nope").status == 404)
        // The server's own errors use the same shape.
        let noRoute = try Curl.get(daemon.baseURL + "/v2/nothing")
        #expect(noRoute.status == 404)
        #expect(noRoute.errorCode == 404)
        let wrongMethod = try Curl.run(["-X", "PUT", daemon.baseURL + "/v1/models"])
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.errorCode == 405)
        let badJSON = try Curl.run(["-H", "Content-Type: application/json", "--data-binary", "{\"prompt\": ", daemon.baseURL + "/v1/completions"])
        #expect(badJSON.status == 400)
        #expect(badJSON.errorCode == 400)
        let n9 = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "n": 9])
        #expect(n9.status == 400)
        #expect(n9.errorMessage?.contains("`n`") == true)

        // What happened above, counted in /metrics (Prometheus text format).
        let metrics = try Curl.get(daemon.baseURL + "/metrics")
        #expect(metrics.status == 200)
        let lines = Set(metrics.text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"lorad_completions_total{adapter="python-qv-r8"} 1"#))
        #expect(lines.contains(#"lorad_completion_tokens_total{adapter="python-qv-r8"} 2"#))
        #expect(lines.contains(#"lorad_http_requests_total{endpoint="/adapters",method="POST",status="201"} 3"#))
        #expect(lines.contains(#"lorad_http_requests_total{endpoint="/v1/completions",method="POST",status="404"} 2"#))
        #expect(lines.contains(#"lorad_http_requests_total{endpoint="/adapters/{name}",method="GET",status="404"} 1"#))
        #expect(lines.contains("lorad_adapter_cache_misses_total 1"))
        #expect(lines.contains("lorad_resident_adapters 1"))
    }

    /// stop, logprobs, seed and token-id prompts reach the engine and come back in OpenAI's shapes.
    @Test func stopLogprobsSeedAndTokenPrompts() throws {
        let refs = try References.load()
        let prompt = try #require(refs.prompt("english"))
        let reference = try #require(refs.result("base", "english")).generated_text
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }

        // stop: the text ends before the first occurrence, which is not emitted.
        let cut = try #require(reference.range(of: "Library"))
        let stopped = try Self.complete(daemon, prompt: prompt.text, fields: ["stop": ["Library", "zzz"]])
        #expect(stopped.text == String(reference[..<cut.lowerBound]))
        #expect((stopped.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")

        // A prompt given as token ids is the same prompt.
        let byIDs = try Self.complete(daemon, prompt: "", fields: ["prompt": prompt.input_ids])
        #expect(byIDs.text == reference)

        // logprobs: one entry per token, top alternatives as asked, offsets into the text.
        let withLogprobs = try Self.complete(daemon, prompt: prompt.text, fields: ["logprobs": 3], maxTokens: 8)
        let choice = try #require((withLogprobs.json["choices"] as? [[String: Any]])?.first)
        let lp = try #require(choice["logprobs"] as? [String: Any])
        let tokens = try #require(lp["tokens"] as? [String])
        let values = try #require(lp["token_logprobs"] as? [Double])
        let tops = try #require(lp["top_logprobs"] as? [[String: Double]])
        let offsets = try #require(lp["text_offset"] as? [Int])
        #expect(tokens.count == 8 && values.count == 8 && tops.count == 8 && offsets.count == 8)
        #expect(tokens.joined() == withLogprobs.text)
        #expect(values.allSatisfy { $0 <= 0 })
        #expect(tops.allSatisfy { (1...3).contains($0.count) })
        for (i, top) in tops.enumerated() {
            // Greedy: the chosen token is the most likely one.
            #expect(abs((top.values.max() ?? 0) - values[i]) < 1e-5)
        }
        #expect(offsets == tokens.indices.map { i in tokens[..<i].reduce(0) { $0 + $1.unicodeScalars.count } })

        // seed: the same seed samples the same text; temperature 1 is not greedy.
        let sampled = ["temperature": 1.0, "seed": 1234, "top_k": 50, "top_p": 0.95] as [String: Any]
        let a = try Self.complete(daemon, prompt: prompt.text, fields: sampled).text
        let b = try Self.complete(daemon, prompt: prompt.text, fields: sampled).text
        #expect(a == b)
        var other = sampled
        other["seed"] = 99
        let c = try Self.complete(daemon, prompt: prompt.text, fields: other).text
        #expect(a != reference || c != reference, "sampling at temperature 1 should leave the greedy path")
    }
}
