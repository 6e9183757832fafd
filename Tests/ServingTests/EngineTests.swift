import Foundation
import Kernels
import Synchronization
import Testing
import Llama
import LoRA
import TestSupport
@testable import Serving

/// The variant in references.json that an adapter spec reproduces, if any.
private func referenceVariant(for spec: String) -> String? {
    spec.isEmpty ? "base" : (Fixtures.adapterNames.contains(spec) ? spec : nil)
}

@Suite(.serialized) struct EngineTests {
    /// Every (prompt, adapter) pair alone through the engine equals the
    /// transformers + PEFT greedy reference; then 12 of them submitted at
    /// staggered times share batches and each produces exactly the same tokens.
    /// Over the BF16 base (tiny-llama-bf16 resident in BF16, our 16-bit
    /// kernels for every batch size) the references are F32 runs, so only
    /// batched against alone is compared; likewise over a BF16 KV cache,
    /// which breaks a few of the references' near-ties. The F16 cache
    /// (the default) and the F32 one are held to the references.
    @Test(arguments: [(false, WeightFormat.f32), (false, .f16), (true, .bf16)])
    func continuousBatchingAcrossAdaptersChangesNoOutput(bf16Base: Bool, kv: WeightFormat) throws {
        let refs = try EngineHarness.references.get()
        var configuration = EngineConfiguration()
        configuration.kvFormat = kv
        let engine = try EngineHarness.engine(configuration, model: bf16Base ? try EngineHarness.bf16Model.get() : nil)
        #expect(engine.model.weights.format == (bf16Base ? .bf16 : .f32))
        defer { engine.shutdown() }
        let specs = ["", "python-qv-r8", "upper-all-r4", "rslora-qkvo-r16", "python-qv-r8:0.7,upper-all-r4:0.3"]
        var jobs: [(prompt: References.Prompt, spec: String)] = []
        for (i, prompt) in refs.prompts.prefix(6).enumerated() {
            jobs.append((prompt, specs[i % specs.count]))
            jobs.append((prompt, specs[(i + 2) % specs.count]))
        }
        #expect(jobs.count == 12)
        func request(_ job: (prompt: References.Prompt, spec: String)) throws -> GenerationRequest {
            GenerationRequest(promptTokens: job.prompt.input_ids,
                              adapters: job.spec.isEmpty ? .base : try AdapterSpec(parsing: job.spec),
                              maxTokens: refs.generation.max_new_tokens)
        }

        var alone: [[Int]] = []
        for job in jobs {
            let result = try engine.run(try request(job))
            alone.append(result.tokenIDs)
            if !bf16Base, kv != .bf16, let variant = referenceVariant(for: job.spec),
               let expected = refs.variant(variant)?.results.first(where: { $0.prompt == job.prompt.name }) {
                #expect(result.tokenIDs == expected.generated_ids, "\(variant) on \(job.prompt.name)")
            }
        }

        let collectors = jobs.map { _ in Collector() }
        for (job, collector) in zip(jobs, collectors) {
            _ = try engine.submit(try request(job), onEvent: collector.handler)
            Thread.sleep(forTimeInterval: 0.003)   // staggered arrivals join running batches
        }
        for (i, collector) in collectors.enumerated() {
            let result = collector.wait()
            #expect(result.tokenIDs == alone[i], "job \(i): \(jobs[i].spec) on \(jobs[i].prompt.name)")
            #expect(collector.streamedText == result.text)
        }
        #expect(engine.stats.batchSizeCounts.keys.contains { $0 > 1 }, "some steps must have batched several sequences")
    }

    @Test func cancellingOneSequenceLeavesTheOthersUnchanged() throws {
        let refs = try EngineHarness.references.get()
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let prompts = Array(refs.prompts.prefix(4))
        let alone = try prompts.map {
            try engine.run(GenerationRequest(promptTokens: $0.input_ids, adapters: try AdapterSpec(parsing: "upper-all-r4"), maxTokens: 24)).tokenIDs
        }
        // Sequence 1 cancels itself from its third token's event (on the
        // engine thread), so the cancellation lands mid-batch deterministically.
        let victim = HandleBox()
        var collectors: [Collector] = []
        for (i, p) in prompts.enumerated() {
            let c = i == 1 ? Collector(onToken: { n in if n == 3 { victim.cancel() } }) : Collector()
            collectors.append(c)
            let h = try engine.submit(GenerationRequest(promptTokens: p.input_ids, adapters: try AdapterSpec(parsing: "upper-all-r4"), maxTokens: 24),
                                      onEvent: c.handler)
            if i == 1 { victim.set(h) }
        }
        for (i, c) in collectors.enumerated() {
            let r = c.wait()
            if i == 1 {
                #expect(r.finishReason == .cancelled)
                #expect(r.completionTokens < 24)
            } else {
                #expect(r.tokenIDs == alone[i], "sequence \(i)")
            }
        }
    }

    @Test func fullQueueIsRefusedAsOverloadedAndTheEngineRecovers() throws {
        var config = EngineConfiguration()
        config.maxBatch = 1
        config.maxQueue = 2
        let engine = try EngineHarness.engine(config)
        defer { engine.shutdown() }
        let prompt = try EngineHarness.references.get().prompts[0].input_ids
        let long = GenerationRequest(promptTokens: prompt, maxTokens: 200)
        let first = Collector()
        _ = try engine.submit(long, onEvent: first.handler)
        // Admitted: it has left the queue (the engine thread moves it to the batch).
        #expect(EngineHarness.waitUntil { engine.stats.queued == 0 }, "the first request was never admitted")
        let queued = [Collector(), Collector()]
        for c in queued { _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 4), onEvent: c.handler) }
        #expect(throws: EngineError.overloaded(queued: 2, retryAfterSeconds: 1)) {
            try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 4), onEvent: { _ in })
        }
        _ = first.wait()
        for c in queued { #expect(c.wait().completionTokens == 4) }
        let after = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: 4))
        #expect(after.completionTokens == 4)
        #expect(engine.stats.rejectedOverloaded == 1)
    }

    @Test func promptLongerThanTheContextIsAClearErrorAndOthersRunOn() throws {
        var config = EngineConfiguration()
        config.contextLength = 64
        let engine = try EngineHarness.engine(config)
        defer { engine.shutdown() }
        let refs = try EngineHarness.references.get()
        let long = try #require(refs.prompt("long_300"))
        let short = refs.prompts[0]
        let running = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: short.input_ids, maxTokens: 24), onEvent: running.handler)
        #expect(throws: EngineError.promptTooLong(tokens: long.input_ids.count, contextLength: 64)) {
            try engine.submit(GenerationRequest(promptTokens: long.input_ids, maxTokens: 4), onEvent: { _ in })
        }
        let expected = refs.variant("base")?.results.first { $0.prompt == short.name }?.generated_ids
        #expect(running.wait().tokenIDs == expected)
        // Generation stops at the context limit with finish reason "length".
        let capped = try engine.run(GenerationRequest(promptTokens: Array(long.input_ids.prefix(60)), maxTokens: 100))
        #expect(capped.finishReason == FinishReason.length)
        #expect(capped.promptTokens + capped.completionTokens <= 64)
    }

    /// Budget for two of the three fixture adapters: the least recently used
    /// one is evicted, a sequence holding an adapter keeps it, reloads work
    /// and concurrent first use loads once.
    @Test func adapterCacheEvictsLeastRecentlyUsedWithoutDisturbingRunningSequences() throws {
        let model = try EngineHarness.model.get()
        let shapes = model.weights.linearShapes
        func bytes(_ name: String) throws -> Int {
            try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: shapes).adapter.byteCount
        }
        let (p, u, r) = (try bytes("python-qv-r8"), try bytes("upper-all-r4"), try bytes("rslora-qkvo-r16"))
        let loads = LoadCounter()
        let engine = try EngineHarness.engine(budget: max(p + u, u + r, p + r), loads: loads)
        defer { engine.shutdown() }
        let refs = try EngineHarness.references.get()
        let prompt = refs.prompts[0]
        func expected(_ v: String) -> [Int]? { refs.variant(v)?.results.first { $0.prompt == prompt.name }?.generated_ids }

        // Concurrent first use of one adapter: loaded once.
        let firsts = (0..<4).map { _ in Collector() }
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            _ = try? engine.submit(GenerationRequest(promptTokens: prompt.input_ids, adapters: try! AdapterSpec(parsing: "python-qv-r8"), maxTokens: 24),
                                   onEvent: firsts[i].handler)
        }
        for c in firsts { #expect(c.wait().tokenIDs == expected("python-qv-r8")) }
        #expect(loads.count("python-qv-r8") == 1)

        // python (oldest) is evicted when the third adapter arrives…
        _ = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: try AdapterSpec(parsing: "upper-all-r4"), maxTokens: 2))
        _ = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: try AdapterSpec(parsing: "rslora-qkvo-r16"), maxTokens: 2))
        #expect(engine.adapters.residentNames == ["rslora-qkvo-r16", "upper-all-r4"])
        #expect(engine.adapters.stats.evictions == 1)

        // …a running sequence keeps its adapter while others force evictions…
        let holder = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt.input_ids, adapters: try AdapterSpec(parsing: "upper-all-r4"), maxTokens: 24), onEvent: holder.handler)
        _ = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: try AdapterSpec(parsing: "python-qv-r8"), maxTokens: 2))
        _ = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: try AdapterSpec(parsing: "rslora-qkvo-r16"), maxTokens: 2))
        #expect(holder.wait().tokenIDs == expected("upper-all-r4"))
        // …and an evicted adapter reloads and still serves the reference.
        let again = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: try AdapterSpec(parsing: "python-qv-r8"), maxTokens: 24))
        #expect(again.tokenIDs == expected("python-qv-r8"))
        #expect(loads.count("python-qv-r8") >= 2)
    }

    @Test func unknownAdapterAndBadParametersAreRefusedAtSubmission() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let prompt = [2046, 100]
        #expect(throws: AdapterSourceError.unknownAdapter("nope")) {
            try engine.submit(GenerationRequest(promptTokens: prompt, adapters: try AdapterSpec(parsing: "nope")), onEvent: { _ in })
        }
        #expect(throws: EngineError.emptyPrompt) { try engine.submit(GenerationRequest(promptTokens: []), onEvent: { _ in }) }
        #expect(throws: EngineError.invalidToken(id: 5000, vocabSize: 2048)) {
            try engine.submit(GenerationRequest(promptTokens: [5000]), onEvent: { _ in })
        }
        #expect(throws: EngineError.self) {
            try engine.submit(GenerationRequest(promptTokens: prompt, sampling: SamplingParameters(temperature: -1)), onEvent: { _ in })
        }
    }

    @Test func stopStringsEndGenerationAndAreNeverEmitted() throws {
        let refs = try EngineHarness.references.get()
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let prompt = refs.prompts[0]
        let full = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, maxTokens: 24))
        // Stop at a word from the middle of the reference continuation.
        let words = full.text.split(separator: " ")
        let stop = String(words[words.count / 2])
        let stopped = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, maxTokens: 24, stop: [stop]))
        #expect(stopped.finishReason == .stop)
        #expect(!stopped.text.contains(stop))
        #expect(full.text.hasPrefix(stopped.text))
        #expect(full.text.range(of: stop).map { full.text[..<$0.lowerBound] }.map(String.init) == stopped.text)
    }

    @Test func seededSamplingRepeatsAndLogprobsAreNormalised() throws {
        let engine = try EngineHarness.engine()
        defer { engine.shutdown() }
        let prompt = try EngineHarness.references.get().prompts[1].input_ids
        let sampling = SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, seed: 1234)
        let a = try engine.run(GenerationRequest(promptTokens: prompt, sampling: sampling, maxTokens: 16))
        let b = try engine.run(GenerationRequest(promptTokens: prompt, sampling: sampling, maxTokens: 16))
        #expect(a.tokenIDs == b.tokenIDs)
        let c = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 4, logprobs: 5), onEvent: c.handler)
        _ = c.wait()
        let tokens = c.tokens.filter { $0.id >= 0 }
        #expect(tokens.count == 4)
        for t in tokens {
            // Greedy: the chosen token is the most likely alternative.
            let top = t.topLogprobs
            #expect(top.count == 5)
            #expect(top.first?.id == t.id)
            #expect(abs((top.first?.logprob ?? 1) - (t.logprob ?? 0)) < 1e-6)
            #expect(zip(top, top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
            let mass = top.reduce(0.0) { $0 + exp(Double($1.logprob)) }
            #expect(mass > 0 && mass <= 1.0001)
        }
    }
}

/// Lets an event handler cancel its own request.
final class HandleBox: Sendable {
    private let handle = Mutex<GenerationHandle?>(nil)
    func set(_ h: GenerationHandle) { handle.withLock { $0 = h } }
    func cancel() { handle.withLock { $0?.cancel() } }
}
