import Foundation
import Testing
import Llama
@testable import LoRA
import SafeTensors
import TestSupport

/// `NAME:0` for a DoRA adapter is PEFT at scaling 0 (`set_scale(adapter, 0)`):
/// the low-rank term vanishes but `DoraLinearLayer` still scales every row
/// by m / ‖W0‖, and its merge writes (m / ‖W0‖) ⊙ W0. Serving, the file
/// merge and the live merge must all give that, not the bare base.
@Suite struct DoRAZeroWeightTests {
    /// The merged weights at weight 0, from the fixture files alone (the base
    /// checkpoint's W0 and the adapter file's magnitude vectors), in Double:
    /// row o of W' is m[o] / ‖W0[o, :]‖ · W0[o, :]. Keyed by base tensor name.
    static func expectedMerge(_ adapter: String) throws -> [String: [Double]] {
        let file = try SafeTensorsFile(contentsOf: Fixtures.adapter(adapter).appendingPathComponent("adapter_model.safetensors"))
        let checkpoint = try Checkpoint(folder: Fixtures.tinyLlama)
        let prefix = "base_model.model.", suffix = ".lora_magnitude_vector"
        var merged: [String: [Double]] = [:]
        for tensor in file.tensors where tensor.name.hasSuffix(suffix) {
            let module = tensor.name.dropFirst(prefix.count).dropLast(suffix.count)
            let weightName = String(module) + ".weight"
            let w0 = try checkpoint.floats(weightName), m = try file.floats(tensor.name)
            let columns = w0.count / m.count
            var w = [Double](repeating: 0, count: w0.count)
            for o in m.indices {
                let row = w0[(o * columns)..<((o + 1) * columns)]
                let norm = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                for (i, v) in row.enumerated() { w[o * columns + i] = Double(m[o]) / norm * Double(v) }
            }
            merged[weightName] = w
        }
        return merged
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
    }

    @Test(arguments: Fixtures.doraAdapterNames)
    func theFileMergeAtWeightZeroIsTheMagnitudeTimesTheNormalisedBase(adapter name: String) throws {
        let expected = try Self.expectedMerge(name)
        let loaded = try DoRAFidelityTests.dora(name).adapter
        let checkpoint = try Checkpoint(folder: Fixtures.tinyLlama)
        #expect(expected.count == loaded.modules.count)
        // `lorad merge DIR:0` takes the raw weight; the merge endpoint the
        // resolved use (scale 0, weight 1). Both must give W'.
        let raw = try MergePlan(base: checkpoint, adapters: [AdapterUse(loaded, weight: 0)])
        let resolved = try MergePlan(base: checkpoint, adapters: AdapterUse.resolve([AdapterUse(loaded, weight: 0)]))
        var apartFromBase = 0.0
        for (tensor, w) in expected {
            #expect(raw.isMerged(tensor) && resolved.isMerged(tensor), "\(tensor)")
            let diff = Self.maxAbsDiff(try raw.floats(tensor), w)
            #expect(diff <= 1e-6, "\(name) \(tensor): max abs diff \(diff)")
            #expect(try resolved.bytes(tensor) == raw.bytes(tensor), "\(tensor)")
            apartFromBase = max(apartFromBase, Self.maxAbsDiff(try checkpoint.floats(tensor), w))
        }
        // The base would fail the comparison above: the magnitude matters.
        #expect(apartFromBase > 1e-3, "W' equals W0 within \(apartFromBase)")
    }

    /// Served unmerged at weight 0, the logits equal those of a model that
    /// holds the merge checked above, and differ from the base's.
    @Test func servingAtWeightZeroEqualsTheMergedModelAndIsNotTheBase() throws {
        let loaded = try DoRAFidelityTests.dora("dora-qv-r8").adapter
        let prompt = try DoRAFidelityTests.references.get().prompts[1].input_ids
        let use = try #require(try AdapterUse.resolve([AdapterUse(loaded, weight: 0)]).first)
        #expect(use.weight == 1 && use.adapter !== loaded)
        let served = try AdapterFidelityTests.run(prompt, mix: [use], count: 1).logits
        let base = try AdapterFidelityTests.run(prompt, mix: [], count: 1).logits
        // The zero-weight use as requests used to take it: skipped, the base.
        let skipped = try AdapterFidelityTests.run(prompt, mix: [AdapterUse(AdapterFidelityTests.adapter("python-qv-r8"), weight: 0)],
                                                   count: 1).logits
        #expect(skipped == base)

        let dir = try Fixtures.temporaryDirectory("lorad-dora-zero")
        defer { try? FileManager.default.removeItem(at: dir) }
        try MergePlan(base: .init(folder: Fixtures.tinyLlama), adapters: [AdapterUse(loaded, weight: 0)])
            .write(to: dir.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: Fixtures.tinyLlama.appendingPathComponent("config.json"),
                                         to: dir.appendingPathComponent("config.json"))
        let merged = try LlamaModel.load(folder: dir)
        let seq = merged.makeSequence()
        let rows = prompt.enumerated().map {
            ForwardRow(sequence: seq, token: $0.element, position: $0.offset, needsLogits: $0.offset == prompt.count - 1)
        }
        let reference = try #require(try merged.forward(rows, lora: LoRABatchPlan(rows: []), workspace: Workspace())[rows.count - 1])
        let diff = DoRAFidelityTests.maxAbsDiff(served, reference)
        #expect(diff <= 1e-4, "max abs diff to the merged model \(diff)")
        #expect(DoRAFidelityTests.maxAbsDiff(served, base) > 1e-2, "weight 0 served as the base")
    }

    /// The live merge of `NAME:0` puts W' in memory (within F32 rounding of
    /// the independent computation) and restores W0 bit for bit.
    @Test func theLiveMergeAtWeightZeroHoldsTheMagnitudeTimesTheNormalisedBase() throws {
        let model = try LlamaModel.load(folder: Fixtures.tinyLlama)
        let name = "dora-all-r4-rslora"
        let loaded = try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: model.weights).adapter
        let expected = try Self.expectedMerge(name)
        let before = Dictionary(uniqueKeysWithValues: loaded.modules.keys.map { ($0, model.weights.linear($0)?.values ?? []) })
        let live = LiveMerge(weights: model.weights)
        try live.fold(AdapterUse.resolve([AdapterUse(loaded, weight: 0)]))
        #expect(live.modified.count == loaded.modules.count)
        for id in loaded.modules.keys {
            let w = try #require(expected[id.weightName])
            let diff = Self.maxAbsDiff(model.weights.linear(id)?.values ?? [], w)
            #expect(diff <= 1e-6, "\(id): max abs diff \(diff)")
        }
        live.restore()
        for id in loaded.modules.keys { #expect(model.weights.linear(id)?.values == before[id], "\(id)") }
    }

    /// Unresolved, a DoRA use at weight 0 is refused like any weight but ±1
    /// instead of being skipped as the base; and it is a DoRA term in a
    /// combination (a plain LoRA term at weight 0 still does not count).
    @Test func aDoRAUseAtWeightZeroIsNeverSkipped() throws {
        let qv = try DoRAFidelityTests.dora("dora-qv-r8").adapter
        let python = try AdapterFidelityTests.adapter("python-qv-r8")
        #expect(AdapterUse(qv, weight: 0).isActive && !AdapterUse(python, weight: 0).isActive)
        #expect(LoRABatchPlan(rows: [[AdapterUse(qv, weight: 0)]]).problem != nil)
        #expect(LoRABatchPlan(rows: [[AdapterUse(python, weight: 0)]]).isEmpty)
        expectAdapterError(["dora-qv-r8", "python-qv-r8", "combined"]) {
            _ = try AdapterUse.resolve([AdapterUse(qv, weight: 0), AdapterUse(python, weight: 0.5)])
        }
        #expect(try AdapterUse.resolve([AdapterUse(qv, weight: 0), AdapterUse(python, weight: 0)]).count == 2)
    }
}
