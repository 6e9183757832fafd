import Foundation
import LoRA
import OrderedJSON
import SafeTensors
import Testing
import TestSupport

/// Merging against PEFT's own `merge_and_unload` output (Tests/Fixtures/merged/python-qv-r8).
@Suite struct MergeTests {
    /// Naive W0 + Σ w·s·B·A in double, the second computation for the sgemm path.
    static func naiveMerge(_ w0: [Float], _ uses: [AdapterUse], _ id: LinearID) -> [Float] {
        var w = w0.map(Double.init)
        for use in uses {
            guard let m = use.adapter.modules[id] else { continue }
            for o in 0..<m.outFeatures {
                for i in 0..<m.inFeatures {
                    var s = 0.0
                    for k in 0..<m.rank { s += Double(m.b[o * m.rank + k]) * Double(m.a[k * m.inFeatures + i]) }
                    w[o * m.inFeatures + i] += Double(use.weight) * Double(m.scale) * s
                }
            }
        }
        return w.map { Float($0) }
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func mergePlanReproducesPeftMergedModelTensorByTensor() throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlama)
        let reference = try Checkpoint(folder: Fixtures.mergedPythonQV)
        let adapter = try LoRATestSupport.load("python-qv-r8").adapter
        let plan = try MergePlan(base: base, adapters: [AdapterUse(adapter)])
        #expect(plan.tensorNames == reference.tensorNames)
        var mergedCount = 0
        var worst: Float = 0
        for name in plan.tensorNames {
            if plan.isMerged(name) {
                mergedCount += 1
                let ours = try plan.floats(name)
                let theirs = try reference.floats(name)
                #expect(ours.count == theirs.count)
                let diff = Self.maxAbsDiff(ours, theirs)
                worst = max(worst, diff)
                #expect(diff <= 1e-5, "\(name): max abs diff \(diff)")
                // The merge must actually change the tensor (the delta is not negligible).
                #expect(Self.maxAbsDiff(ours, try base.floats(name)) > 1e-3, "\(name)")
            } else {
                let ours = try plan.bytes(name)
                let theirs = try reference.withRawBytes(name) { [UInt8]($0) }
                #expect(ours == theirs, "\(name) should be byte-identical")
            }
        }
        #expect(mergedCount == 8)  // q and v of 4 layers
        print("merge vs PEFT merged fixture: max abs diff \(worst) over \(mergedCount) tensors")
    }

    @Test func writtenMergedFileRoundTrips() throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlama)
        let adapter = try LoRATestSupport.load("python-qv-r8").adapter
        let plan = try MergePlan(base: base, adapters: [AdapterUse(adapter)])
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        try plan.write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata["format"] == "pt")
        #expect(file.tensors.count == base.tensorNames.count)
        let reference = try Checkpoint(folder: Fixtures.mergedPythonQV)
        for info in file.tensors {
            #expect(info.dtype == base.info(info.name)?.dtype && info.shape == base.info(info.name)?.shape)
            #expect(Self.maxAbsDiff(try file.floats(info.name), try reference.floats(info.name)) <= 1e-5, "\(info.name)")
        }
        // Streaming to a sink yields the same bytes as the file.
        var streamed = Data()
        try plan.serialize { streamed.append(contentsOf: $0) }
        #expect(streamed == (try Data(contentsOf: url)))
    }

    @Test func sgemmMergeEqualsANaiveSumForWeightedCombinations() throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlama)
        let python = try LoRATestSupport.load("python-qv-r8").adapter
        let upper = try LoRATestSupport.load("upper-all-r4").adapter
        let rs = try LoRATestSupport.load("rslora-qkvo-r16").adapter
        let uses = [AdapterUse(python, weight: 0.7), AdapterUse(upper, weight: 0.3), AdapterUse(rs, weight: -0.5)]
        for id in [LinearID(layer: 1, kind: .q), LinearID(layer: 2, kind: .down), LinearID(layer: 3, kind: .k)] {
            let w0 = try base.floats(id.weightName)
            let ours = try LoRAMerge.mergedWeight(base: w0, adapters: uses, id: id)
            let naive = Self.naiveMerge(w0, uses, id)
            #expect(Self.maxAbsDiff(ours, naive) <= 1e-5, "\(id)")
            #expect(Self.maxAbsDiff(ours, w0) > 1e-4, "\(id) must change")
        }
    }

    @Test func inPlaceMergeEqualsTheCopyingMerge() throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlama)
        let upper = try LoRATestSupport.load("upper-all-r4").adapter
        let id = LinearID(layer: 0, kind: .gate)
        let w0 = try base.floats(id.weightName)
        let copy = try LoRAMerge.mergedWeight(base: w0, adapters: [AdapterUse(upper)], id: id)
        var live = w0
        try live.withUnsafeMutableBufferPointer { try LoRAMerge.addDelta(into: $0, adapters: [AdapterUse(upper)], id: id) }
        #expect(live == copy)
    }

    @Test func aWeightMismatchedWithTheAdapterIsRefused() throws {
        let upper = try LoRATestSupport.load("upper-all-r4").adapter
        let id = LinearID(layer: 0, kind: .q)
        expectAdapterError([id.weightName, "upper-all-r4"]) {
            _ = try LoRAMerge.mergedWeight(base: [Float](repeating: 0, count: 10), adapters: [AdapterUse(upper)], id: id)
        }
    }

    @Test func mergingIntoABF16BaseKeepsBF16AndRoundsOnce() throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlamaBF16)
        let adapter = try LoRATestSupport.load("python-qv-r8").adapter
        let plan = try MergePlan(base: base, adapters: [AdapterUse(adapter)])
        let id = LinearID(layer: 2, kind: .v)
        let bytes = try plan.bytes(id.weightName)
        #expect(base.info(id.weightName)?.dtype == .bf16)
        let expected = Self.naiveMerge(try base.floats(id.weightName), [AdapterUse(adapter)], id)
        var mismatches = 0
        for (i, want) in expected.enumerated() {
            let got = UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8
            // sgemm and the naive sum may land on either side of a rounding boundary; allow one ulp.
            if abs(Int(got) - Int(FloatConversion.floatToBF16(want))) > 1 { mismatches += 1 }
        }
        #expect(mismatches == 0)
        // Untouched tensors are the original BF16 bytes.
        let norm = "model.norm.weight"
        #expect(try plan.bytes(norm) == (try base.withRawBytes(norm) { [UInt8]($0) }))
    }

    /// W' = (m / ‖V‖) ⊙ V with V = W0 + w·s·B·A, in double: the merge of a
    /// DoRA adapter (at weight 1 and reweighted) against that formula.
    @Test(arguments: [Float(1), 0.5])
    func doraMergeEqualsTheNormalisedSumInDouble(weight: Float) throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlama)
        let dora = try AdapterLoader.load(name: "dora", folder: Fixtures.adapter("dora-all-r4-rslora"), base: CheckpointLinears(base)).adapter
        for id in [LinearID(layer: 0, kind: .q), LinearID(layer: 1, kind: .down), LinearID(layer: 3, kind: .up)] {
            let w0 = try base.floats(id.weightName)
            let m = try #require(dora.modules[id])
            let magnitude = try #require(m.magnitude)
            let v = Self.naiveMerge(w0, [AdapterUse(dora, weight: weight)], id).map(Double.init)
            var naive = [Float](repeating: 0, count: v.count)
            for o in 0..<m.outFeatures {
                let row = v[(o * m.inFeatures)..<((o + 1) * m.inFeatures)]
                let g = Double(magnitude[o]) / row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for i in 0..<m.inFeatures { naive[o * m.inFeatures + i] = Float(g * v[o * m.inFeatures + i]) }
            }
            let ours = try LoRAMerge.mergedWeight(base: w0, adapters: [AdapterUse(dora, weight: weight)], id: id)
            #expect(Self.maxAbsDiff(ours, naive) <= 1e-6, "\(id)")
            #expect(Self.maxAbsDiff(ours, Self.naiveMerge(w0, [AdapterUse(dora, weight: weight)], id)) > 1e-3, "\(id): g is applied")
        }
    }

    @Test func doraMergePlanReproducesPeftMergedModel() throws {
        let base = try Checkpoint(folder: Fixtures.tinyLlama)
        let reference = try Checkpoint(folder: Fixtures.mergedDoRAQV)
        let dora = try AdapterLoader.load(name: "dora-qv-r8", folder: Fixtures.adapter("dora-qv-r8"), base: CheckpointLinears(base)).adapter
        let plan = try MergePlan(base: base, adapters: [AdapterUse(dora)])
        for name in plan.tensorNames where plan.isMerged(name) {
            #expect(Self.maxAbsDiff(try plan.floats(name), try reference.floats(name)) <= 1e-5, "\(name)")
        }
        let python = try LoRATestSupport.load("python-qv-r8").adapter
        expectAdapterError(["dora-qv-r8", "python-qv-r8"]) {
            _ = try MergePlan(base: base, adapters: [AdapterUse(dora), AdapterUse(python)])
        }
    }
}

@Suite struct MergedConfigTests {
    @Test func onlyTheDtypeOfConfigJSONChangesAndEveryOtherMemberKeepsItsPlace() throws {
        let original = try Data(contentsOf: Fixtures.tinyLlama.appendingPathComponent("config.json"))
        let rewritten = try MergedFolder.configJSON(original, dtype: .bf16)
        guard case .object(let before) = try JSONValue.parse(original),
              case .object(let after) = try JSONValue.parse(rewritten) else { Issue.record("not objects"); return }
        #expect(before.map(\.key) == after.map(\.key))
        for (b, a) in zip(before, after) {
            if b.key == "dtype" || b.key == "torch_dtype" { #expect(a.value == .string("bfloat16")) } else { #expect(a.value == b.value, "\(b.key)") }
        }
        #expect(rewritten.last == UInt8(ascii: "\n"))
    }

    @Test func aConfigWithoutADtypeGetsTorchDtype() throws {
        let rewritten = try MergedFolder.configJSON(Data(#"{"a": 1}"#.utf8), dtype: .f16)
        #expect(try JSONValue.parse(rewritten)["torch_dtype"] == .string("float16"))
    }
}
