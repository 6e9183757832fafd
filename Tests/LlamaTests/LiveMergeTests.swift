import Testing
@testable import Llama
import LoRA

@Suite struct LiveMergeTests {
    let tokens = [3, 17, 99, 42, 0, 100, 7]

    @Test func foldingAnAdapterEqualsApplyingItAndRestoreIsBitExact() throws {
        let config = try RandomModels.config()
        let (model, tensors) = try RandomModels.model(config)
        let (adapter, merged) = RandomModels.adapter(config, tensors, seed: 5)
        let mergedModel = LlamaModel(weights: try LlamaWeights(config: config) { merged[$0] })
        let (_, before) = try model.prefill(tokens)
        let (_, expected) = try mergedModel.prefill(tokens)

        let live = LiveMerge(weights: model.weights)
        try live.fold([AdapterUse(adapter)])
        #expect(live.modified.count == adapter.modules.count)
        let (_, folded) = try model.prefill(tokens)
        for i in tokens.indices { #expect(maxAbsDiff(folded[i], expected[i]) < 1e-4) }
        // Other requests stay exact: the folded delta taken back out through
        // the low-rank path (weight −1) gives the base model again.
        let (_, unfolded) = try model.prefill(tokens, lora: [AdapterUse(adapter, weight: -1)])
        for i in tokens.indices { #expect(maxAbsDiff(unfolded[i], before[i]) < 1e-4) }

        live.restore()
        #expect(live.modified.isEmpty)
        for id in model.weights.linearShapes.keys {
            #expect(model.weights.linear(id)!.values == tensors[id.weightName]!.values, "\(id)")
        }
        let (_, after) = try model.prefill(tokens)
        #expect(after == before)
    }

    @Test func anAdapterForAnotherShapeIsRefusedBeforeAnyWrite() throws {
        let config = try RandomModels.config()
        let (model, tensors) = try RandomModels.model(config)
        let bad = LoRAModule(rank: 1, inFeatures: 10, outFeatures: 10, scale: 1,
                             a: [Float](repeating: 1, count: 10), b: [Float](repeating: 1, count: 10))
        let good = RandomModels.adapter(config, tensors, seed: 6).0
        let live = LiveMerge(weights: model.weights)
        #expect(throws: LlamaError.self) {
            try live.fold([AdapterUse(good), AdapterUse(LoRAAdapter(name: "bad", modules: [LinearID(layer: 0, kind: .q): bad]))])
        }
        #expect(live.modified.isEmpty)
        #expect(model.weights.linear(LinearID(layer: 0, kind: .q))!.values == tensors["model.layers.0.self_attn.q_proj.weight"]!.values)
    }
}
