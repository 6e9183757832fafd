import Testing
@testable import Llama
import LoRA

@Suite struct WeightsTests {
    @Test func eachLinearViewAddressesItsOwnTensorInsideTheFusedStorage() throws {
        let config = try RandomModels.config()
        let (model, tensors) = try RandomModels.model(config)
        let shapes = model.weights.linearShapes
        #expect(shapes.count == config.numHiddenLayers * 7)
        for (id, shape) in shapes {
            let view = try #require(model.weights.linear(id))
            #expect(view.shape == shape)
            #expect(view.values == tensors[id.weightName]!.values, "\(id)")
        }
        #expect(model.weights.linear(LinearID(layer: 2, kind: .q)) == nil)
        #expect(shapes[LinearID(layer: 0, kind: .o)] == LinearShape(outFeatures: 64, inFeatures: 96))
    }

    @Test func aWrongShapeNamesTheTensorAndBothShapes() throws {
        let config = try RandomModels.config()
        var tensors = RandomModels.tensors(config, seed: 1)
        let name = "model.layers.1.self_attn.k_proj.weight"
        tensors[name] = TensorValues(shape: [96, 64], values: [Float](repeating: 0, count: 96 * 64))
        #expect(throws: LlamaError.shapeMismatch(tensor: name, expected: [48, 64], found: [96, 64])) {
            _ = try LlamaWeights(config: config) { tensors[$0] }
        }
        let message = LlamaError.shapeMismatch(tensor: name, expected: [48, 64], found: [96, 64]).description
        #expect(message.contains(name) && message.contains("[48, 64]") && message.contains("maybe wrong config?"))
    }

    @Test func aMissingTensorIsNamed() throws {
        let config = try RandomModels.config()
        var tensors = RandomModels.tensors(config, seed: 1)
        tensors["lm_head.weight"] = nil
        #expect(throws: LlamaError.missingTensor("lm_head.weight")) {
            _ = try LlamaWeights(config: config) { tensors[$0] }
        }
    }
}
