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

}
