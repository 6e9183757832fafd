import Foundation
import Testing
import Llama
import LoRA
import TestSupport

/// Adapters applied unmerged through the forward pass against transformers +
/// PEFT (`PeftModel.from_pretrained(base, adapter)`), and mixed batches
/// against each row run alone.
@Suite struct AdapterFidelityTests {
    static let model = Result { try LlamaModel.load(folder: Fixtures.tinyLlama) }
    static let references = Result { try References.load() }

    static func adapter(_ name: String) throws -> LoRAAdapter {
        try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: model.get().weights).adapter
    }

    /// Prefill `prompt` with `mix`; return the last row's logits, then greedy-decode `count` tokens.
    static func run(_ prompt: [Int], mix: [AdapterUse], count: Int) throws -> (logits: [Float], tokens: [Int]) {
        let model = try model.get()
        let ws = Workspace()
        let seq = model.makeSequence()
        var rows = prompt.enumerated().map { ForwardRow(sequence: seq, token: $0.element, position: $0.offset, needsLogits: $0.offset == prompt.count - 1) }
        var first: [Float] = []
        var tokens: [Int] = []
        while tokens.count < count {
            let logits = try model.forward(rows, lora: LoRABatchPlan(rows: Array(repeating: mix, count: rows.count)), workspace: ws)
            let row = try #require(logits[rows.count - 1])
            if first.isEmpty { first = Array(row) }
            let token = row.indices.max { row[$0] < row[$1] }! - row.startIndex
            tokens.append(token)
            if model.config.eosTokenIDs.contains(token) { break }
            rows = [ForwardRow(sequence: seq, token: token, position: seq.length)]
        }
        return (first, tokens)
    }

    @Test(arguments: Fixtures.adapterNames)
    func unmergedAdapterMatchesPEFTOnEveryPrompt(adapter name: String) throws {
        let refs = try Self.references.get()
        let adapter = try Self.adapter(name)
        for prompt in refs.prompts {
            let expected = try #require(refs.result(name, prompt.name))
            let (logits, tokens) = try Self.run(prompt.input_ids, mix: [AdapterUse(adapter)], count: expected.generated_ids.count)
            let diff = zip(logits, expected.last_logits).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff <= 1e-3, "\(name) on \(prompt.name): max abs logit diff \(diff)")
            #expect(tokens == expected.generated_ids, "\(name) on \(prompt.name)")
        }
    }

    /// One batch: base, each fixture adapter, the same adapter on two rows,
    /// and a weighted combination — each row's logits equal that row alone.
    @Test func mixedAdapterBatchGivesEveryRowItsOwnLogits() throws {
        let (p, u, r) = (try Self.adapter("python-qv-r8"), try Self.adapter("upper-all-r4"), try Self.adapter("rslora-qkvo-r16"))
        try Self.expectEveryRowEqualsItsSoloRun([[], [AdapterUse(p)], [AdapterUse(u)], [AdapterUse(r)], [AdapterUse(p)],
                                                 [AdapterUse(p, weight: 0.7), AdapterUse(u, weight: 0.3)]])
    }

    /// Row i runs `mixes[i]` on reference prompt i: all prompts prefilled in
    /// one batch (each prompt's rows share the sgemm path), then one decode
    /// step (the per-row path); every row's logits must equal that row run
    /// alone (1e-5; the decode step within `decodeTolerance`: the batched
    /// decode kernel sums in another order than the one-row path, which
    /// alone moves a base row by ~5e-6). Returns the solo prefill logits.
    @discardableResult
    static func expectEveryRowEqualsItsSoloRun(_ mixes: [[AdapterUse]], decodeTolerance: Float = 1e-5) throws -> [[Float]] {
        let model = try Self.model.get()
        let refs = try Self.references.get()
        let prompts = (0..<mixes.count).map { refs.prompts[$0 % refs.prompts.count].input_ids }

        var alone: [[Float]] = []
        for (prompt, mix) in zip(prompts, mixes) { alone.append(try Self.run(prompt, mix: mix, count: 1).logits) }

        let ws = Workspace()
        let sequences = prompts.map { _ in model.makeSequence() }
        var rows: [ForwardRow] = []
        var rowMixes: [[AdapterUse]] = []
        var lastRow: [Int] = []
        for (i, prompt) in prompts.enumerated() {
            for (pos, token) in prompt.enumerated() {
                rows.append(ForwardRow(sequence: sequences[i], token: token, position: pos, needsLogits: pos == prompt.count - 1))
                rowMixes.append(mixes[i])
            }
            lastRow.append(rows.count - 1)
        }
        let logits = try model.forward(rows, lora: LoRABatchPlan(rows: rowMixes), workspace: ws)
        for i in mixes.indices {
            let batched = try #require(logits[lastRow[i]])
            let diff = zip(batched, alone[i]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff <= 1e-5, "row \(i): max abs diff \(diff)")
        }
        // Decode step with one row per sequence, all mixes in one batch.
        let next = (0..<mixes.count).map { ForwardRow(sequence: sequences[$0], token: 100 + $0, position: sequences[$0].length) }
        let stepped = try model.forward(next, lora: LoRABatchPlan(rows: mixes), workspace: ws)
        for i in mixes.indices {
            let seq = model.makeSequence()
            let solo = prompts[i].enumerated().map { ForwardRow(sequence: seq, token: $0.element, position: $0.offset, needsLogits: false) }
                + [ForwardRow(sequence: seq, token: 100 + i, position: prompts[i].count)]
            let expected = try #require(try model.forward(solo, lora: LoRABatchPlan(rows: Array(repeating: mixes[i], count: solo.count)), workspace: Workspace())[solo.count - 1])
            let got = try #require(stepped[i])
            let diff = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff <= decodeTolerance, "decode row \(i): max abs diff \(diff)")
        }
        return alone
    }

    /// `a:1,b:1` through the model equals a model whose weights carry both
    /// deltas (a second computation: merged W through the plain base path).
    @Test func summedAdaptersEqualBothDeltasMergedIntoTheWeights() throws {
        let model = try Self.model.get()
        let (p, r) = (try Self.adapter("python-qv-r8"), try Self.adapter("rslora-qkvo-r16"))
        let prompt = try Self.references.get().prompts[1].input_ids
        let combined = try Self.run(prompt, mix: [AdapterUse(p), AdapterUse(r)], count: 1).logits
        // Fold both deltas into a copy of the checkpoint and load that as a base.
        let dir = try Fixtures.temporaryDirectory("lorad-sum")
        defer { try? FileManager.default.removeItem(at: dir) }
        try MergePlan(base: .init(folder: Fixtures.tinyLlama), adapters: [AdapterUse(p), AdapterUse(r)])
            .write(to: dir.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: Fixtures.tinyLlama.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let merged = try LlamaModel.load(folder: dir)
        let ws = Workspace()
        let seq = merged.makeSequence()
        let rows = prompt.enumerated().map { ForwardRow(sequence: seq, token: $0.element, position: $0.offset, needsLogits: $0.offset == prompt.count - 1) }
        let reference = try #require(try merged.forward(rows, lora: LoRABatchPlan(rows: Array(repeating: [], count: rows.count)), workspace: ws)[rows.count - 1])
        let diff = zip(combined, reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff <= 1e-4, "max abs diff \(diff)")
        _ = model
    }
}
