import Foundation
import Testing
@testable import Llama
import LoRA
import TestSupport

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

    @Test func aNaNOrInfiniteWeightIsRefusedNamingTheTensorAndItsPlace() throws {
        let config = try RandomModels.config()
        let clean = RandomModels.tensors(config, seed: 1)
        // q and k first: their NaN is the one attention used to hide.
        let cases: [(String, Int, Float)] = [
            ("model.layers.0.self_attn.q_proj.weight", 5 * 64 + 7, .nan),
            ("model.layers.1.self_attn.k_proj.weight", 47 * 64 + 63, .infinity),
            ("model.layers.1.post_attention_layernorm.weight", 3, -.infinity),
            ("model.embed_tokens.weight", 0, .nan),
        ]
        for (name, index, value) in cases {
            var tensors = clean
            let t = try #require(tensors[name])
            var values = t.values
            values[index] = value
            tensors[name] = TensorValues(shape: t.shape, values: values)
            let error = try #require(throws: LlamaError.self) { _ = try LlamaWeights(config: config) { tensors[$0] } }
            let columns = t.shape.count == 2 ? t.shape[1] : 0
            let place = columns > 0 ? "row \(index / columns), column \(index % columns)" : "element \(index)"
            #expect(error.description.contains(name) && error.description.contains(place), "\(error)")
        }
    }

    @Test func theFiniteScanFindsTheFirstBadValueWhereverItIs() {
        var rng = SplitMix64(seed: 7)
        for n in [0, 1, 7, 8, 9, 4095, 4096, 4097, 10_000] {
            var values = (0..<n).map { _ in Float.random(in: -1e30...1e30, using: &rng) }
            #expect(LlamaWeights.firstNonFinite(values) == nil, "n \(n) all finite")
            guard n > 0 else { continue }
            for _ in 0..<3 {
                let i = Int.random(in: 0..<n, using: &rng), j = Int.random(in: 0..<n, using: &rng)
                values[i] = .nan
                values[j] = -.infinity
                #expect(LlamaWeights.firstNonFinite(values) == values.firstIndex { !$0.isFinite }, "n \(n)")
                values[i] = 0
                values[j] = 0
            }
        }
    }

    @Test func aCheckpointWithLayersPastTheConfigsIsRefusedNotTruncated() throws {
        let copy = try Fixtures.temporaryDirectory("lorad-layers").appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.tinyLlama, to: copy)
        let file = copy.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let layers = try #require(config["num_hidden_layers"] as? Int)
        config["num_hidden_layers"] = layers - 2
        try FileManager.default.removeItem(at: file)
        try JSONSerialization.data(withJSONObject: config).write(to: file)
        let error = try #require(throws: LlamaError.self) { _ = try LlamaModel.load(folder: copy) }
        #expect("\(error)".contains("model.layers.\(layers - 2).") && "\(error)".contains("num_hidden_layers is \(layers - 2)"),
                "\(error)")
        // The folder as shipped loads.
        _ = try LlamaModel.load(folder: Fixtures.tinyLlama)
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

/// The family's tensor set is checked whole: what it needs must be there
/// with its shape, and what it has no place for is refused by name.
@Suite struct FamilyWeightsTests {
    @Test func aQwen3CheckpointWithoutQNormIsRefusedNamingTheTensor() throws {
        let config = try RandomModels.config(family: .qwen3)
        var tensors = RandomModels.tensors(config, seed: 1)
        tensors["model.layers.1.self_attn.q_norm.weight"] = nil
        let error = #expect(throws: LlamaError.self) { _ = try LlamaWeights(config: config) { tensors[$0] } }
        #expect(error == .missingTensor("model.layers.1.self_attn.q_norm.weight"))
    }

    @Test func aQwen2BiasOfTheWrongLengthNamesTheTensor() throws {
        let config = try RandomModels.config(family: .qwen2)
        var tensors = RandomModels.tensors(config, seed: 1)
        let name = "model.layers.0.self_attn.v_proj.bias"
        tensors[name] = TensorValues(shape: [96], values: [Float](repeating: 0, count: 96))
        #expect(throws: LlamaError.shapeMismatch(tensor: name, expected: [48], found: [96])) {
            _ = try LlamaWeights(config: config) { tensors[$0] }
        }
    }

    /// A bias or q/k norm the config's family does not have means config.json
    /// and the weights describe different models (transformers would drop
    /// them with a warning and compute something else than was trained).
    @Test func tensorsOfAnotherFamilyAreRefusedByName() throws {
        let qwen2 = RandomModels.tensors(try RandomModels.config(family: .qwen2), seed: 1)
        let llama = try RandomModels.config(family: .llama)
        let error = #expect(throws: LlamaError.self) { _ = try LlamaWeights(config: llama) { qwen2[$0] } }
        #expect(error?.description.contains("model.layers.0.self_attn.q_proj.bias") == true)
        #expect(error?.description.contains("attention_bias") == true, "\(String(describing: error))")

        let qwen3 = RandomModels.tensors(try RandomModels.config(family: .qwen3), seed: 1)
        let asQwen2 = try RandomModels.config(family: .qwen2, biases: [])
        let normError = #expect(throws: LlamaError.self) { _ = try LlamaWeights(config: asQwen2) { qwen3[$0] } }
        #expect(normError?.description.contains("model.layers.0.self_attn.q_norm.weight") == true)
    }

    @Test func biasesAndNormsAreReadAtTheirProjectionsAndCounted() throws {
        let config = try RandomModels.config(family: .qwen3, biases: [.q, .k, .v, .o])
        let tensors = RandomModels.tensors(config, seed: 2)
        let weights = try LlamaWeights(config: config) { tensors[$0] }
        for kind in LinearKind.allCases {
            let id = LinearID(layer: 1, kind: kind)
            #expect(weights.bias(id) == tensors[id.modulePath + ".bias"]?.values, "\(id)")
        }
        #expect(weights.layers[1].queryNorm?.values == tensors["model.layers.1.self_attn.q_norm.weight"]?.values)
        #expect(weights.layers[1].keyNorm?.values == tensors["model.layers.1.self_attn.k_norm.weight"]?.values)
        // Every tensor but the embedding rows is streamed once per token.
        let streamed = tensors.filter { $0.key != "model.embed_tokens.weight" }.values.reduce(0) { $0 + $1.values.count }
        #expect(weights.bytesReadPerToken == streamed * 4)
    }
}
