import Foundation
import Testing
import Llama
@testable import LoRA
import SafeTensors
import TestSupport

/// DoRA adapters (PEFT `use_dora`) through the forward pass against
/// transformers + PEFT (references-dora.json), their factors against the
/// ones PEFT recorded, weighted uses against a merged model, and mixed
/// batches against each row run alone.
@Suite struct DoRAFidelityTests {
    static let references = Result { try References.load(Fixtures.doraReferences) }

    static func dora(_ name: String) throws -> LoadedAdapter {
        try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: AdapterFidelityTests.model.get().weights)
    }

    static func maxAbsDiff<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test(arguments: Fixtures.doraAdapterNames)
    func unmergedDoRAAdapterMatchesPEFTOnEveryPrompt(adapter name: String) throws {
        let refs = try Self.references.get()
        let adapter = try Self.dora(name).adapter
        #expect(adapter.isDoRA)
        var worst: Float = 0
        defer { print("DoRA fidelity \(name): max abs logit diff \(worst) over \(refs.prompts.count) prompts") }
        for prompt in refs.prompts {
            let expected = try #require(refs.result(name, prompt.name))
            let (logits, tokens) = try AdapterFidelityTests.run(prompt.input_ids, mix: [AdapterUse(adapter)],
                                                                count: expected.generated_ids.count)
            let diff = Self.maxAbsDiff(logits, expected.last_logits)
            worst = max(worst, diff)
            #expect(diff <= 1e-4, "\(name) on \(prompt.name): max abs logit diff \(diff)")
            #expect(tokens == expected.generated_ids, "\(name) on \(prompt.name)")
        }
    }

    /// The same A and B read as plain LoRA (g = 1) are far from the
    /// references: the factor is what makes the test above pass.
    @Test func theFactorIsWhatMatchesPEFT() throws {
        let refs = try Self.references.get()
        let adapter = try Self.dora("dora-qv-r8").adapter
        let plain = LoRAAdapter(name: "plain", modules: adapter.modules.mapValues {
            LoRAModule(rank: $0.rank, inFeatures: $0.inFeatures, outFeatures: $0.outFeatures, scale: $0.scale, a: $0.a, b: $0.b)
        })
        let prompt = try #require(refs.prompt("english"))
        let expected = try #require(refs.result("dora-qv-r8", "english"))
        let logits = try AdapterFidelityTests.run(prompt.input_ids, mix: [AdapterUse(plain)], count: 1).logits
        #expect(Self.maxAbsDiff(logits, expected.last_logits) > 0.1)
    }

    /// g = m / ‖W0 + s·B·A‖ at load, against the `dora_factor` PEFT's forward
    /// computed for layer 0's first module.
    @Test(arguments: Fixtures.doraAdapterNames)
    func factorAtLoadEqualsPEFTsDoraFactor(adapter name: String) throws {
        let refs = try Self.references.get()
        let variant = try #require(refs.variant(name))
        let id = LinearID(layer: 0, kind: .q)
        let recorded = try #require(variant.modules?[id.modulePath]?.dora_factor)
        let module = try #require(try Self.dora(name).adapter.modules[id])
        let g = try #require(module.doraFactor)
        #expect(g.count == recorded.count)
        let worst = zip(g, recorded).map { abs($0 - $1) / abs($1) }.max() ?? .infinity
        print("DoRA factor \(name) \(id): max relative difference to PEFT \(worst)")
        #expect(worst <= 1e-6, "\(name): max relative difference \(worst)")
        #expect(Float(variant.modules?[id.modulePath]?.scaling ?? 0) == module.scale)
    }

    /// Against a BF16 base, g is taken from the 16-bit W0 the model multiplies
    /// by (widened exactly), not from some F32 original: every module's factor
    /// equals m / ‖W0_bf16 + s·B·A‖ summed in double from the BF16 checkpoint
    /// (1e-6 relative), and differs from the factor against the F32 base.
    @Test func factorsAgainstABF16BaseAreTakenFromItsSixteenBitWeights() throws {
        let bf16 = try LlamaModel.load(folder: Fixtures.tinyLlamaBF16)
        let checkpoint = try Checkpoint(folder: Fixtures.tinyLlamaBF16)
        let name = "dora-all-r4-rslora"
        let onBF16 = try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: bf16.weights).adapter
        let onF32 = try Self.dora(name).adapter
        var worst = 0.0, apart: Float = 0
        for (id, m) in onBF16.modules {
            let (g, magnitude) = (try #require(m.doraFactor), try #require(m.magnitude))
            let w0 = try checkpoint.floats(id.weightName)   // (out, in), BF16 widened
            for o in 0..<m.outFeatures {
                var sum = 0.0
                for i in 0..<m.inFeatures {
                    var delta = 0.0
                    for k in 0..<m.rank { delta += Double(m.b[o * m.rank + k]) * Double(m.a[k * m.inFeatures + i]) }
                    let v = Double(w0[o * m.inFeatures + i]) + Double(m.scale) * delta
                    sum += v * v
                }
                let expected = Double(magnitude[o]) / sum.squareRoot()
                worst = max(worst, abs(Double(g[o]) - expected) / abs(expected))
            }
            apart = max(apart, Self.maxAbsDiff(g, try #require(onF32.modules[id]?.doraFactor)))
        }
        #expect(onBF16.modules.count == 28)
        #expect(worst <= 1e-6, "max relative difference \(worst)")
        #expect(apart > 1e-4, "the BF16 base's factors should differ from the F32 base's (max |Δ| \(apart))")
    }

    /// One batch: base, plain LoRA, both DoRA adapters, a DoRA adapter on two
    /// rows and a weighted DoRA use; each row's logits equal that row run
    /// alone, in prefill and in a decode step.
    @Test func mixedBatchOfBaseLoRAAndDoRARowsGivesEveryRowItsOwnLogits() throws {
        let python = try AdapterFidelityTests.adapter("python-qv-r8")
        let qv = try Self.dora("dora-qv-r8").adapter
        let all = try Self.dora("dora-all-r4-rslora").adapter
        // Decode within 5e-5: all-linear DoRA after the 300-token prompt
        // (row 5) carries the kernels' summation-order difference through
        // every scaled projection; measured 1.4e-5 there, 4.8e-6 on the base row.
        let alone = try AdapterFidelityTests.expectEveryRowEqualsItsSoloRun(
            [[], [AdapterUse(python)], [AdapterUse(qv)], [AdapterUse(all)], [AdapterUse(qv)],
             AdapterUse.resolve([AdapterUse(all, weight: 0.5)])], decodeTolerance: 5e-5)
        // The weighted row really is another adapter than the unweighted one.
        #expect(Self.maxAbsDiff(alone[3], alone[5]) > 1e-3)
    }

    /// `NAME:w` for a DoRA adapter (scale w·s, factors recomputed) served
    /// unmerged equals a model whose weights hold W' = g_w ⊙ (W0 + w·s·B·A)
    /// from the file merge, which takes the norms of the merged rows itself
    /// (a second computation of the same definition).
    @Test(arguments: [Float(0.5), -0.75, 1.5])
    func weightedDoRAEqualsItsMergedModel(weight: Float) throws {
        let loaded = try Self.dora("dora-all-r4-rslora")
        let use = try #require(try AdapterUse.resolve([AdapterUse(loaded.adapter, weight: weight)]).first)
        #expect(use.weight == 1 && use.adapter !== loaded.adapter)
        let prompt = try Self.references.get().prompts[1].input_ids
        let served = try AdapterFidelityTests.run(prompt, mix: [use], count: 1).logits

        let dir = try Fixtures.temporaryDirectory("lorad-dora-weighted")
        defer { try? FileManager.default.removeItem(at: dir) }
        try MergePlan(base: .init(folder: Fixtures.tinyLlama), adapters: [AdapterUse(loaded.adapter, weight: weight)])
            .write(to: dir.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: Fixtures.tinyLlama.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let merged = try LlamaModel.load(folder: dir)
        let seq = merged.makeSequence()
        let rows = prompt.enumerated().map { ForwardRow(sequence: seq, token: $0.element, position: $0.offset, needsLogits: $0.offset == prompt.count - 1) }
        let reference = try #require(try merged.forward(rows, lora: LoRABatchPlan(rows: []), workspace: Workspace())[rows.count - 1])
        let diff = Self.maxAbsDiff(served, reference)
        #expect(diff <= 1e-4, "weight \(weight): max abs diff \(diff)")
    }

    @Test func aWeightedDoRAAdapterIsMadeOncePerWeightAndBounded() throws {
        let adapter = try Self.dora("dora-qv-r8").adapter
        let half = try adapter.weighted(0.5)
        #expect(try adapter.weighted(0.5) === half)
        #expect(try adapter.weighted(1) === adapter)
        let id = LinearID(layer: 2, kind: .v)
        #expect(half.modules[id]?.scale == 0.5 * (adapter.modules[id]?.scale ?? 0))
        #expect(half.modules[id]?.doraFactor != adapter.modules[id]?.doraFactor)
        for i in 0..<(DoRAWeighting.capacity + 4) { _ = try adapter.weighted(Float(i) / 10 + 2) }
        #expect(adapter.weighting?.cachedWeights == DoRAWeighting.capacity)
        // A weight that takes the scale beyond the config bound is refused like such a config.
        expectAdapterError(["dora-qv-r8", "1000000.0", "scale"]) { _ = try adapter.weighted(1e6) }
        // A plain LoRA adapter keeps its weight in the use instead.
        let python = try AdapterFidelityTests.adapter("python-qv-r8")
        #expect(try python.weighted(0.5) === python)
        #expect(try AdapterUse.resolve([AdapterUse(python, weight: 0.5)]).first?.weight == 0.5)
    }

    @Test func aDoRAAdapterInACombinationIsRefused() throws {
        let qv = try Self.dora("dora-qv-r8").adapter
        let python = try AdapterFidelityTests.adapter("python-qv-r8")
        expectAdapterError(["dora-qv-r8", "python-qv-r8", "combined"]) {
            _ = try AdapterUse.resolve([AdapterUse(qv, weight: 0.7), AdapterUse(python, weight: 0.3)])
        }
        let all = try Self.dora("dora-all-r4-rslora").adapter
        expectAdapterError(["dora-qv-r8", "dora-all-r4-rslora"]) {
            _ = try AdapterUse.resolve([AdapterUse(qv), AdapterUse(all)])
        }
        // A zero-weight partner does not count.
        #expect(try AdapterUse.resolve([AdapterUse(qv), AdapterUse(python, weight: 0)]).count == 2)
    }

    /// A plan given an unresolved weighted DoRA use is refused by the forward
    /// pass instead of computing something that is not DoRA.
    @Test func anUnresolvedWeightedDoRAUseIsRefusedByTheForwardPass() throws {
        let model = try AdapterFidelityTests.model.get()
        let qv = try Self.dora("dora-qv-r8").adapter
        let seq = model.makeSequence()
        #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: seq, token: 1, position: 0)],
                                  lora: LoRABatchPlan(rows: [[AdapterUse(qv, weight: 0.5)]]), workspace: Workspace())
        }
        #expect(seq.length == 0)
    }
}
