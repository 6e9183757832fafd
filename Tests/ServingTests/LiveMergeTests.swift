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
    func engine() throws -> Engine {
        let model = try LlamaModel.load(folder: Fixtures.tinyLlama)
        let shapes = model.weights.linearShapes
        let cache = AdapterCache(source: EngineHarness.source, budgetBytes: 64 << 20) { payload in
            try AdapterLoader.load(name: payload.name, configJSON: payload.configJSON, safetensors: payload.weights, base: shapes).adapter
        }
        return Engine(model: model, tokenizer: try EngineHarness.tokenizer.get(), adapters: cache)
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
}
