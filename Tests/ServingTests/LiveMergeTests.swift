import Foundation
import Testing
import Llama
import LoRA
import Tokenization
import TestSupport
@testable import Serving

/// Live merge: the merged adapter's requests run on W0 + s·B·A with no
/// low-rank work; everyone else stays exact; unmerge restores W0 bit for bit.
/// Uses its own model instance: folding mutates the weights in place.
@Suite(.serialized) struct LiveMergeTests {
    /// With an F32 KV cache: the references are F32 runs, and dora-qv-r8 on
    /// `newlines` has a tie at step 10 (top two logits 9.5e-5 apart) that
    /// the default F16 cache breaks the other way (SixteenBitKVCacheTests).
    func engine() throws -> Engine {
        let model = try LlamaModel.load(folder: Fixtures.tinyLlama)
        let cache = AdapterCache(source: EngineHarness.source, budgetBytes: 64 << 20,
                                 loader: try EngineHarness.loader(base: model.weights))
        var configuration = EngineConfiguration()
        configuration.kvFormat = .f32
        return Engine(model: model, tokenizer: try EngineHarness.tokenizer.get(), adapters: cache,
                      configuration: configuration)
    }

    @Test func everyVariantKeepsItsReferenceWhileOneAdapterIsMergedAndUnmergeRestoresW0() throws {
        let engine = try engine()
        defer { engine.shutdown() }
        let refs = try EngineHarness.references.get()
        let before = engine.model.weights.checksum()
        let combo = try AdapterSpec(parsing: "python-qv-r8:0.5,rslora-qkvo-r16:0.5")
        let comboUnmerged = try refs.prompts.map {
            try engine.run(GenerationRequest(promptTokens: $0.input_ids, adapters: combo, maxTokens: 24)).tokenIDs
        }

        try engine.liveMerge(AdapterSpec(parsing: "python-qv-r8"))
        #expect(engine.liveMerged?.description == "python-qv-r8")
        #expect(engine.model.weights.checksum() != before)
        for (i, prompt) in refs.prompts.enumerated() {
            for variant in ["base"] + Fixtures.adapterNames {
                let spec = variant == "base" ? AdapterSpec.base : try AdapterSpec(parsing: variant)
                let got = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: spec, maxTokens: 24))
                #expect(got.tokenIDs == refs.result(variant, prompt.name)?.generated_ids, "\(variant) on \(prompt.name) while python-qv-r8 is merged")
            }
            let combined = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: combo, maxTokens: 24))
            #expect(combined.tokenIDs == comboUnmerged[i], "combination on \(prompt.name)")
        }

        try engine.liveUnmerge()
        #expect(engine.liveMerged == nil)
        #expect(engine.model.weights.checksum() == before, "W0 restored bit for bit")
    }

    @Test func mergingWhileGenerationsStreamLetsThemAllFinishCorrectly() throws {
        let engine = try engine()
        defer { engine.shutdown() }
        let refs = try EngineHarness.references.get()
        let variants = ["base", "python-qv-r8", "upper-all-r4", "rslora-qkvo-r16"]
        var jobs: [(References.Prompt, String, Collector)] = []
        for i in 0..<8 {
            let prompt = refs.prompts[i % refs.prompts.count], variant = variants[i % 4]
            let c = Collector()
            _ = try engine.submit(GenerationRequest(promptTokens: prompt.input_ids,
                                                    adapters: variant == "base" ? .base : try AdapterSpec(parsing: variant), maxTokens: 24),
                                  onEvent: c.handler)
            jobs.append((prompt, variant, c))
        }
        try engine.liveMerge(AdapterSpec(parsing: "upper-all-r4"))   // lands between two steps
        for (prompt, variant, c) in jobs {
            #expect(c.wait().tokenIDs == refs.result(variant, prompt.name)?.generated_ids, "\(variant) on \(prompt.name)")
        }
        try engine.liveMerge(AdapterSpec(parsing: "rslora-qkvo-r16"))  // switching replaces the previous merge
        let p = refs.prompts[0]
        #expect(try engine.run(GenerationRequest(promptTokens: p.input_ids, adapters: try AdapterSpec(parsing: "upper-all-r4"), maxTokens: 24)).tokenIDs
                == refs.result("upper-all-r4", p.name)?.generated_ids)
        try engine.liveUnmerge()
    }

    @Test func mergingAnUnknownAdapterChangesNothing() throws {
        let engine = try engine()
        defer { engine.shutdown() }
        let before = engine.model.weights.checksum()
        #expect(throws: AdapterSourceError.unknownAdapter("nope")) { try engine.liveMerge(AdapterSpec(parsing: "nope")) }
        #expect(engine.liveMerged == nil)
        #expect(engine.model.weights.checksum() == before)
    }

    /// A live-merged DoRA adapter (W' = g ⊙ (W0 + s·B·A)): its own requests
    /// give PEFT's DoRA text with no low-rank work, every other request —
    /// base, plain LoRA, the other DoRA adapter, itself at another weight —
    /// recovers W0·x = (W'·x) / g − s·B·A·x and keeps its reference; an
    /// adapter loaded while the merge is in place gets the same factors as
    /// one loaded before (they are taken against the saved W0).
    @Test func aLiveMergedDoRAAdapterKeepsEveryOtherRequestExact() throws {
        let engine = try engine()
        defer { engine.shutdown() }
        let refs = try EngineHarness.references.get(), dora = try EngineHarness.doraReferences.get()
        let before = engine.model.weights.checksum()
        let weighted = try AdapterSpec(parsing: "dora-qv-r8:0.5")
        let weightedUnmerged = try refs.prompts.prefix(3).map {
            try engine.run(GenerationRequest(promptTokens: $0.input_ids, adapters: weighted, maxTokens: 24)).tokenIDs
        }

        try engine.liveMerge(AdapterSpec(parsing: "dora-qv-r8"))
        #expect(engine.model.weights.checksum() != before)
        for (i, prompt) in refs.prompts.enumerated() {
            for variant in ["base"] + Fixtures.adapterNames + Fixtures.doraAdapterNames {
                let spec = variant == "base" ? AdapterSpec.base : try AdapterSpec(parsing: variant)
                let expected = (variant.hasPrefix("dora") ? dora : refs).result(variant, prompt.name)?.generated_ids
                let got = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: spec, maxTokens: 24))
                #expect(got.tokenIDs == expected, "\(variant) on \(prompt.name) while dora-qv-r8 is merged")
            }
            if i < weightedUnmerged.count {
                let got = try engine.run(GenerationRequest(promptTokens: prompt.input_ids, adapters: weighted, maxTokens: 24))
                #expect(got.tokenIDs == weightedUnmerged[i], "dora-qv-r8:0.5 on \(prompt.name)")
            }
        }
        try engine.liveUnmerge()
        #expect(engine.model.weights.checksum() == before, "W0 restored bit for bit")
    }

    @Test func aDoRAAdapterWithAZeroFactorIsNotLiveMergedAndNothingChanges() throws {
        let model = try LlamaModel.load(folder: Fixtures.tinyLlama)
        let cache = AdapterCache(source: EngineHarness.source, budgetBytes: 64 << 20) { payload in
            // dora-qv-r8 with the magnitude of row 3 of layer 1's v_proj set to zero: g = 0 there.
            let loaded = try AdapterLoader.load(name: payload.name, configJSON: payload.configJSON,
                                                safetensors: payload.weights, base: model.weights).adapter
            let id = LinearID(layer: 1, kind: .v)
            guard let m = loaded.modules[id], var magnitude = m.magnitude else { return loaded }
            magnitude[3] = 0
            var modules = loaded.modules.mapValues {
                LoRAModule(rank: $0.rank, inFeatures: $0.inFeatures, outFeatures: $0.outFeatures, scale: $0.scale,
                           a: $0.a, b: $0.b, magnitude: $0.magnitude)
            }
            modules[id] = LoRAModule(rank: m.rank, inFeatures: m.inFeatures, outFeatures: m.outFeatures, scale: m.scale,
                                     a: m.a, b: m.b, magnitude: magnitude)
            return try LoRAAdapter.dora(name: loaded.name, modules: modules, base: model.weights)
        }
        let engine = Engine(model: model, tokenizer: try EngineHarness.tokenizer.get(), adapters: cache)
        defer { engine.shutdown() }
        let before = engine.model.weights.checksum()
        #expect {
            try engine.liveMerge(AdapterSpec(parsing: "dora-qv-r8"))
        } throws: { error in
            let message = String(describing: error)
            return message.contains("model.layers.1.self_attn.v_proj") && message.contains("row 3") && message.contains("live-merged")
        }
        #expect(engine.liveMerged == nil)
        #expect(engine.model.weights.checksum() == before)
        // Served unmerged it is fine (g = 0 only zeroes that output).
        _ = try engine.run(GenerationRequest(promptTokens: [1, 2, 3], adapters: try AdapterSpec(parsing: "dora-qv-r8"), maxTokens: 2))
    }

    @Test func aMixWithADoRAAdapterIsRefusedForLiveMergeAndRequests() throws {
        let engine = try engine()
        defer { engine.shutdown() }
        let mix = try AdapterSpec(parsing: "dora-qv-r8:0.5,python-qv-r8:0.5")
        #expect(throws: AdapterError.self) { try engine.liveMerge(mix) }
        #expect(engine.liveMerged == nil)
        #expect(throws: AdapterError.self) {
            _ = try engine.submit(GenerationRequest(promptTokens: [1, 2], adapters: mix, maxTokens: 2)) { _ in }
        }
    }
}
