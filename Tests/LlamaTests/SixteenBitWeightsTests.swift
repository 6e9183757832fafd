import Foundation
import Kernels
import SafeTensors
import Testing
import TestSupport
@testable import Llama
import LoRA

/// tiny-llama's weights rounded to F16 with our exact conversion, written as
/// an F16 checkpoint beside the tiny-llama folder's other files.
private let f16Folder = Result { () throws -> URL in
    let folder = try Fixtures.temporaryDirectory("lorad-tiny-llama-f16")
    for file in try FileManager.default.contentsOfDirectory(atPath: Fixtures.tinyLlama.path) where file != "model.safetensors" {
        try FileManager.default.copyItem(at: Fixtures.tinyLlama.appendingPathComponent(file),
                                         to: folder.appendingPathComponent(file))
    }
    let checkpoint = try Checkpoint(folder: Fixtures.tinyLlama)
    let tensors = try checkpoint.tensorNames.sorted().map { name in
        (name: name, dtype: DType.f16, shape: checkpoint.info(name)!.shape, values: try checkpoint.floats(name))
    }
    try SafeTensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
    return folder
}

private let references = Result { try References.load() }
private let bf16Resident = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaBF16) }
private let bf16Upcast = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaBF16, weightsFormat: .f32) }
private let f32AsBF16 = Result { try LlamaModel.load(folder: Fixtures.tinyLlama, weightsFormat: .bf16) }
private let f16Resident = Result { try LlamaModel.load(folder: try f16Folder.get()) }
private let f16Upcast = Result { try LlamaModel.load(folder: try f16Folder.get(), weightsFormat: .f32) }
private let f32AsF16 = Result { try LlamaModel.load(folder: Fixtures.tinyLlama, weightsFormat: .f16) }

private let promptNames = ["english", "python", "unicode", "leading_spaces", "one_token", "long_300", "numbers", "newlines"]

/// Models served from 16-bit resident weights (widened in registers, F32
/// accumulation) against F32 compute on the same weights widened at load:
/// the same arithmetic up to the order of the additions.
@Suite struct SixteenBitWeightsTests {
    @Test func checkpointsStayInTheirDtypeAtHalfTheBytes() throws {
        let bf16 = try bf16Resident.get(), upcast = try bf16Upcast.get(), f16 = try f16Resident.get()
        #expect(bf16.weights.format == .bf16)
        #expect(f16.weights.format == .f16)
        #expect(upcast.weights.format == .f32)
        #expect(try LlamaModel.load(folder: Fixtures.tinyLlama).weights.format == .f32)
        let ratio = Double(bf16.weights.residentBytes) / Double(upcast.weights.residentBytes)
        #expect(ratio <= 0.52, "BF16 ÷ F32 resident bytes \(ratio)")
        #expect(f16.weights.residentBytes == bf16.weights.residentBytes)
        // Norms stay F32.
        #expect(bf16.weights.norm.format == .f32 && bf16.weights.layers[0].inputNorm.format == .f32)
    }

    @Test(arguments: promptNames)
    func bf16ServedAsBF16EqualsF32ComputeOnItsUpcastWeights(prompt name: String) throws {
        try expectSameGeneration(try bf16Resident.get(), try bf16Upcast.get(), prompt: name, tolerance: 1e-4)
    }

    @Test(arguments: promptNames)
    func f16ServedAsF16EqualsF32ComputeOnItsUpcastWeights(prompt name: String) throws {
        try expectSameGeneration(try f16Resident.get(), try f16Upcast.get(), prompt: name, tolerance: 1e-4)
    }

    /// weights_dtype = bf16 rounds tiny-llama's F32 weights to nearest even,
    /// which is how tiny-llama-bf16 was made (`.to(torch.bfloat16)`): the
    /// resident bytes are the same, so every logit is bit-identical.
    @Test func anF32CheckpointServedAsBF16IsTheBF16Checkpoint() throws {
        let converted = try f32AsBF16.get(), shipped = try bf16Resident.get()
        #expect(converted.weights.format == .bf16)
        #expect(converted.weights.checksum() == shipped.weights.checksum())
        for name in promptNames { try expectSameGeneration(converted, shipped, prompt: name, tolerance: 0) }
    }

    @Test func anF32CheckpointServedAsF16IsTheF16Checkpoint() throws {
        let converted = try f32AsF16.get(), written = try f16Resident.get()
        #expect(converted.weights.format == .f16)
        #expect(converted.weights.checksum() == written.weights.checksum())
        for name in promptNames { try expectSameGeneration(converted, written, prompt: name, tolerance: 0) }
    }

    /// The widened-row accessor reads exactly the values the kernels multiply by.
    @Test func widenedRowsAreTheUpcastWeights() throws {
        let bf16 = try bf16Resident.get(), upcast = try bf16Upcast.get()
        for id in [LinearID(layer: 0, kind: .k), LinearID(layer: 1, kind: .up), LinearID(layer: 1, kind: .down)] {
            let view = try #require(bf16.weights.linear(id)), reference = try #require(upcast.weights.linear(id))
            var rows = [Float](repeating: .nan, count: 3 * view.shape.inFeatures)
            view.widenRows(2..<5, into: &rows)
            let n = view.shape.inFeatures
            #expect(rows == Array(reference.values[(2 * n)..<(5 * n)]), "\(id)")
            #expect(view.values == reference.values, "\(id)")
        }
    }

    /// Greedy tokens of `a` and `b` on a fixture prompt are identical and the
    /// last prompt position's logits agree within `tolerance`.
    private func expectSameGeneration(_ a: LlamaModel, _ b: LlamaModel, prompt name: String, tolerance: Float) throws {
        let refs = try references.get()
        let prompt = try #require(refs.prompt(name))
        let maxNew = refs.generation.max_new_tokens, eos = refs.generation.eos_token_id
        let (logitsA, tokensA) = try greedy(a, prompt: prompt.input_ids, maxNew: maxNew, eos: eos)
        let (logitsB, tokensB) = try greedy(b, prompt: prompt.input_ids, maxNew: maxNew, eos: eos)
        let diff = maxAbsDiff(logitsA, logitsB)
        #expect(diff <= tolerance, "\(name): max abs logit difference \(diff)")
        #expect(tokensA == tokensB, "\(name)")
    }
}

@Suite struct SixteenBitLiveMergeTests {
    let tokens = [3, 17, 99, 42, 0, 100, 7]

    /// Over BF16 weights the merged sum is rounded to BF16 once; restore puts
    /// back the original BF16 bytes, and other adapters' requests on the
    /// merged base (the merged delta taken out again through the low-rank
    /// path) stay within the rounding of one BF16 step of W0 + ΔW.
    @Test(arguments: [WeightFormat.bf16, .f16])
    func foldingOnA16BitBaseRoundsOnceAndRestoresTheBytes(format: WeightFormat) throws {
        let config = try RandomModels.config()
        let tensors = RandomModels.tensors(config, seed: 1)
        let model = LlamaModel(weights: try LlamaWeights(config: config, format: format) { tensors[$0] })
        let (adapter, merged) = RandomModels.adapter(config, tensors, seed: 5)
        // The reference: the independently merged F32 tensors, rounded to the format.
        let mergedModel = LlamaModel(weights: try LlamaWeights(config: config, format: format) { merged[$0] })
        let checksum = model.weights.checksum()
        let (_, before) = try model.prefill(tokens)
        let (_, expected) = try mergedModel.prefill(tokens)

        let live = LiveMerge(weights: model.weights)
        try live.fold([AdapterUse(adapter)])
        #expect(model.weights.checksum() != checksum)
        let (_, folded) = try model.prefill(tokens)
        // Folding computes W0 + s·B·A in sgemm's order, the reference in plain
        // loops: after rounding to 16 bits a few elements may land one unit
        // apart, so the logits agree within a few 16-bit units of their size.
        let unit: Float = format == .bf16 ? 0x1p-8 : 0x1p-11
        for i in tokens.indices { #expect(maxAbsDiff(folded[i], expected[i]) < 8 * unit, "row \(i)") }
        let (_, unfolded) = try model.prefill(tokens, lora: [AdapterUse(adapter, weight: -1)])
        for i in tokens.indices { #expect(maxAbsDiff(unfolded[i], before[i]) < 8 * unit, "row \(i)") }

        live.restore()
        #expect(model.weights.checksum() == checksum)
        let (_, after) = try model.prefill(tokens)
        #expect(after == before)
    }

    /// A weight F16 can only hold as infinity refuses an F16 load, naming
    /// the tensor and the count, in a matrix and in a norm (held F32 with
    /// F16's values); BF16 and F32 hold the same weights, and F16 holds
    /// 65504 and -65519 (which rounds to -65504).
    @Test(arguments: ["model.layers.1.mlp.up_proj.weight", "model.layers.0.input_layernorm.weight"])
    func aWeightPastF16sRangeRefusesAnF16LoadNamingTheTensor(name: String) throws {
        let config = try RandomModels.config(maxPositions: 8)
        var tensors = RandomModels.tensors(config, seed: 3)
        let original = try #require(tensors[name])
        var values = original.values
        values[1] = 70000
        values[values.count - 1] = -1e9
        tensors[name] = TensorValues(shape: original.shape, values: values)
        #expect(throws: LlamaError.outsideFormatRange(tensor: name, format: "f16", values: 2)) {
            try LlamaWeights(config: config, format: .f16) { tensors[$0] }
        }
        for format in [WeightFormat.bf16, .f32] {
            let weights = try LlamaWeights(config: config, format: format) { tensors[$0] }
            #expect(weights.format == format)
        }
        values[1] = 65504
        values[values.count - 1] = -65519
        tensors[name] = TensorValues(shape: original.shape, values: values)
        _ = try LlamaWeights(config: config, format: .f16) { tensors[$0] }
    }
}
