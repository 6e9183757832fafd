import Foundation
import Testing
import TestSupport

/// The completion and token counters count what the engine ran, also when
/// clients go away: every choice of an `n` request cut mid-generation, and
/// nothing of a request cut while it still waited in the queue.
@Suite(.serialized) struct DisconnectMetricsEndToEndTests {
    /// A sample of `/metrics` by its name with labels, as written (`name{adapter="x"}`); 0 when absent.
    static func sample(_ daemon: LoradProcess, _ series: String) throws -> Double {
        MergeDownloadCapEndToEndTests.gauge(daemon, series) ?? 0
    }

    static func waitFor(_ condition: () throws -> Bool) rethrows -> Bool {
        try ReplicaFleetEndToEndTests.eventually(condition)
    }

    /// Engine steps so far: every step observes its batch size once.
    static let steps = "lorad_batch_size_count"

    static func completion(_ body: String) -> String {
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func upload(_ daemon: LoradProcess) throws {
        let folder = Fixtures.adapter("python-qv-r8")
        let up = try Curl.upload(daemon.baseURL, name: "python", config: folder.appendingPathComponent("adapter_config.json"),
                                 weights: folder.appendingPathComponent("adapter_model.safetensors"))
        try #require(up.status == 201)
    }

    @Test func everyChoiceOfANonStreamedRequestCutMidGenerationIsCounted() async throws {
        try await OffCooperativePool.run {
            let daemon = try LoradProcess()
            defer { daemon.cleanUp() }
            try Self.upload(daemon)
            let prompt = [1, 450, 996, 1354]
            let client = try RawConnection(port: daemon.port)
            let body = #"{"model":"python","prompt":\#(prompt),"n":8,"max_tokens":500,"ignore_eos":true,"temperature":1}"#
            try #require(try client.send(Self.completion(body)))
            #expect(try Self.waitFor { try Self.sample(daemon, "vllm:num_requests_running") == 8 })
            // Admitted is not yet run: cut only once the engine has stepped
            // the batch twice, so every choice has read its prompt and
            // generated (a choice cut before its first step never ran).
            #expect(try Self.waitFor { try Self.sample(daemon, Self.steps) >= 2 })
            client.shutdown()
            #expect(try Self.waitFor { try Self.sample(daemon, "vllm:num_requests_running") == 0 })
            #expect(try Self.waitFor { try Self.sample(daemon, #"lorad_completions_total{adapter="python"}"#) == 8 })
            #expect(try Self.sample(daemon, #"lorad_prompt_tokens_total{adapter="python"}"#) == Double(8 * prompt.count))
            let generated = try Self.sample(daemon, #"lorad_completion_tokens_total{adapter="python"}"#)
            #expect(generated >= 8, "every choice had generated a token at least: \(generated)")
        }
    }

    @Test func aRequestCutWhileQueuedCountsNoCompletionAndNoPromptTokens() async throws {
        try await OffCooperativePool.run {
            let daemon = try LoradProcess(arguments: ["--max-batch", "1"])
            defer { daemon.cleanUp() }
            try Self.upload(daemon)
            // The only slot, held by a base request of 8 long choices, one after another.
            let holder = try RawConnection(port: daemon.port)
            try #require(try holder.send(Self.completion(#"{"prompt":[1,450],"n":8,"max_tokens":500,"ignore_eos":true}"#)))
            #expect(try Self.waitFor { try Self.sample(daemon, "vllm:num_requests_running") == 1 })
            // Admitted is not yet run (a loaded machine can leave the engine
            // thread between the two): the holder's first choice must have
            // had a step before it is cut, or it is rightly counted as
            // never run and the last expectation cannot hold.
            #expect(try Self.waitFor { try Self.sample(daemon, Self.steps) >= 1 })
            let queued = try RawConnection(port: daemon.port)
            try #require(try queued.send(Self.completion(#"{"model":"python","prompt":[1,450,996,1354],"n":3,"max_tokens":4}"#)))
            let waiting = "vllm:num_requests_waiting"
            #expect(try Self.waitFor { try Self.sample(daemon, waiting) >= 3 && Curl.get(daemon.baseURL + "/metrics").text
                        .contains(#"waiting_lora_adapters="python""#) })
            let before = try Self.sample(daemon, waiting)
            queued.shutdown()
            #expect(try Self.waitFor { try Self.sample(daemon, waiting) <= before - 3 }, "the cut request left the queue")
            #expect(try Self.sample(daemon, "vllm:num_requests_running") == 1, "the holder still ran: python never did")
            holder.shutdown()
            #expect(try Self.waitFor { try Self.sample(daemon, "vllm:num_requests_running") == 0 })
            #expect(try Self.sample(daemon, #"lorad_completions_total{adapter="python"}"#) == 0)
            #expect(try Self.sample(daemon, #"lorad_prompt_tokens_total{adapter="python"}"#) == 0)
            // The holder ran: it is counted.
            let base = #"lorad_completions_total{adapter="base"}"#
            let counted = try Self.waitFor { try Self.sample(daemon, base) >= 1 }
            #expect(counted, "\((try? Self.sample(daemon, base)) ?? -1) base completions")
        }
    }
}
