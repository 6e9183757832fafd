import Foundation
import Kernels
import Testing
import Llama
import TestSupport
@testable import Serving

/// The engine's KV cache format (`EngineConfiguration.kvFormat`): what a
/// sequence caches in, and what the KV budget is spent in.
@Suite(.serialized) struct EngineKVFormatTests {
    /// Admission reserves prompt + max_tokens positions at the configured
    /// format's bytes: a budget that holds a request's positions in F16
    /// runs it, and refuses the same request over an F32 cache, which needs
    /// twice the bytes (2 × layers × KV heads × head size × 4 for tiny-llama).
    @Test func theKVBudgetIsSpentInTheConfiguredCacheFormat() throws {
        let config = try EngineHarness.model.get().config
        let prompt = try #require(try EngineHarness.references.get().prompt("english")).input_ids
        let positions = prompt.count + 8
        let f32PerPosition = 2 * config.numHiddenLayers * config.numKeyValueHeads * config.headDim * 4
        var configuration = EngineConfiguration()
        configuration.kvFormat = .f16
        configuration.kvCacheBytes = positions * f32PerPosition / 2

        let f16 = try EngineHarness.engine(configuration)
        defer { f16.shutdown() }
        #expect(f16.kvBytesPerPosition * 2 == f32PerPosition)
        let result = try f16.run(GenerationRequest(promptTokens: prompt, maxTokens: 8))
        #expect(result.completionTokens == 8)

        configuration.kvFormat = .f32
        let f32 = try EngineHarness.engine(configuration)
        defer { f32.shutdown() }
        #expect(f32.kvBytesPerPosition == f32PerPosition)
        #expect(throws: EngineError.exceedsKVBudget(bytes: positions * f32PerPosition, budget: configuration.kvCacheBytes)) {
            try f32.submit(GenerationRequest(promptTokens: prompt, maxTokens: 8), onEvent: { _ in })
        }
    }

    /// A model whose values pass F16's ±65504 — tiny-llama with its first
    /// layer's v_proj scaled by 10⁶ — overflows an F16 cache: the request
    /// ends with an error naming the cache and the fix, before any token is
    /// sampled from it, and the engine counts the sequence; over BF16 (F32's
    /// range) or F32 the same model generates and counts none.
    @Test func aSequenceWhoseF16CacheOverflowsEndsWithAnErrorNamingTheFix() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-kv-overflow")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, scaling: "model.layers.0.self_attn.v_proj.weight", by: 1e6, to: dir)
        let model = try LlamaModel.load(folder: dir)
        let prompt = try #require(try EngineHarness.references.get().prompt("english")).input_ids
        for format in WeightFormat.allCases {
            var configuration = EngineConfiguration()
            configuration.kvFormat = format
            let engine = try EngineHarness.engine(configuration, model: model)
            defer { engine.shutdown() }
            let result = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: 4))
            if format == .f16 {
                #expect(result.finishReason == .error && result.completionTokens == 0)
                guard case let .kvCacheOverflow(position, name, values)? = result.error else {
                    Issue.record("expected kvCacheOverflow, got \(String(describing: result.error))")
                    continue
                }
                #expect(position == prompt.count && name == "f16" && values > 0)
                #expect(result.error?.description.contains("kv_dtype = bf16") == true)
                #expect(engine.stats.kvOverflowedSequences == 1 && engine.stats.failed == 1)
            } else {
                #expect(result.finishReason == .length && result.completionTokens == 4, "\(format)")
                #expect(engine.stats.kvOverflowedSequences == 0, "\(format)")
            }
        }
    }
}
