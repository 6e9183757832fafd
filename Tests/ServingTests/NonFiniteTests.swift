import Foundation
import Testing
import Llama
import LoRA
import TestSupport
@testable import Serving

/// Defence in depth behind adapter validation: logits or merged weights that
/// are not finite never reach a client or the base model.
@Suite(.serialized) struct NonFiniteTests {
    /// Stands in for "upper-all-r4": every MLP factor 1e19 (bypassing the
    /// loader's bounds), so SwiGLU of the deltas overflows F32.
    static let overflowing = "upper-all-r4"

    static func overflowingAdapter(_ model: LlamaModel, value: Float) -> LoRAAdapter {
        var modules: [LinearID: LoRAModule] = [:]
        for layer in 0..<model.config.numHiddenLayers {
            for kind in [LinearKind.gate, .up, .down] {
                let id = LinearID(layer: layer, kind: kind)
                guard let shape = model.weights.linear(id)?.shape else { continue }
                let r = 2
                modules[id] = LoRAModule(rank: r, inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, scale: 1,
                                         a: [Float](repeating: value, count: r * shape.inFeatures),
                                         b: [Float](repeating: value, count: shape.outFeatures * r))
            }
        }
        return LoRAAdapter(name: overflowing, modules: modules)
    }

    static func engine(model: LlamaModel, value: Float) throws -> Engine {
        let normal = try EngineHarness.loader()
        let cache = AdapterCache(source: EngineHarness.source, budgetBytes: 64 << 20) { payload in
            payload.name == overflowing ? overflowingAdapter(model, value: value) : try normal(payload)
        }
        return Engine(model: model, tokenizer: try EngineHarness.tokenizer.get(), adapters: cache)
    }

    @Test func aSequenceWithNonFiniteLogitsEndsWithItsOwnErrorWhileItsBatchGoesOn() throws {
        let model = try EngineHarness.model.get()
        let engine = try Self.engine(model: model, value: 1e19)
        defer { engine.shutdown() }
        let prompt = try EngineHarness.references.get().prompts[0].input_ids
        let solo = try engine.run(GenerationRequest(promptTokens: prompt, maxTokens: 12))

        let base = Collector(), broken = Collector()
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, maxTokens: 12), onEvent: base.handler)
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, adapters: try AdapterSpec(parsing: Self.overflowing),
                                                maxTokens: 12, logprobs: 5), onEvent: broken.handler)
        let failed = broken.wait()
        #expect(failed.finishReason == .error)
        guard case .nonFiniteLogits? = failed.error else { Issue.record("expected nonFiniteLogits, got \(String(describing: failed.error))"); return }
        #expect(broken.tokens.allSatisfy { $0.logprob?.isFinite ?? true }, "no non-finite log-probability is ever emitted")
        #expect(base.wait().tokenIDs == solo.tokenIDs, "the base row in the same batch is unaffected")
    }

    @Test func aMergeThatWouldOverflowIsRefusedAndThePreviousMergeStays() throws {
        // Its own model: live merge writes the weights.
        let model = try LlamaModel.load(folder: Fixtures.tinyLlama)
        let engine = try Self.engine(model: model, value: 1e30)
        defer { engine.shutdown() }
        try engine.liveMerge(AdapterSpec(parsing: "python-qv-r8"))
        let merged = model.weights.checksum()
        #expect(throws: LlamaError.self) { try engine.liveMerge(AdapterSpec(parsing: Self.overflowing)) }
        #expect(engine.liveMerged?.description == "python-qv-r8")
        #expect(model.weights.checksum() == merged, "the previous merge is back, bit for bit")
        try engine.liveUnmerge()
        #expect(model.weights.checksum() == (try LlamaModel.load(folder: Fixtures.tinyLlama)).weights.checksum())
    }
}

@Suite struct AdapterSpecBoundsTests {
    @Test func weightsBeyondAHundredAreRefusedNamingTheRange() {
        #expect(throws: AdapterSpecError.weightOutOfRange("1e30", name: "a", spec: "a:1e30")) { try AdapterSpec(parsing: "a:1e30") }
        #expect(throws: AdapterSpecError.weightOutOfRange("-100.5", name: "b", spec: "a,b:-100.5")) { try AdapterSpec(parsing: "a,b:-100.5") }
        #expect(throws: Never.self) { try AdapterSpec(parsing: "a:100,b:-100") }
    }

    @Test func atMostSixteenAdaptersCombine() {
        let seventeen = (0..<17).map { "a\($0)" }.joined(separator: ",")
        #expect(throws: AdapterSpecError.tooManyTerms(17, spec: seventeen)) { try AdapterSpec(parsing: seventeen) }
        #expect(throws: Never.self) { try AdapterSpec(parsing: (0..<16).map { "a\($0)" }.joined(separator: ",")) }
    }
}
