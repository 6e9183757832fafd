import Kernels
import Testing
@testable import Llama
import LoRA

/// Decode attention over long caches inside a batch: sequences hundreds of
/// positions long, each with its own cache format, joining the batch at
/// different steps, give every row what the sequence gives run alone — on
/// every attention path this CPU has (`Workspace.attentionPath`).
@Suite struct LongContextBatchTests {
    /// SmolLM's grouping (3 query heads per KV head) and head size (64).
    static func config() throws -> LlamaConfig {
        try LlamaConfig(hiddenSize: 96, intermediateSize: 128, numHiddenLayers: 2, numAttentionHeads: 6,
                        numKeyValueHeads: 2, headDim: 64, maxPositionEmbeddings: 512, vocabSize: 101)
    }

    /// One sequence's prompt, cache format and the batch step it joins at.
    struct Request {
        let prompt: [Int], format: WeightFormat, joinsAt: Int
    }

    static let requests: [Request] = [
        Request(prompt: (0..<260).map { ($0 * 37 + 11) % 101 }, format: .f32, joinsAt: 0),
        Request(prompt: (0..<150).map { ($0 * 53 + 7) % 101 }, format: .f16, joinsAt: 2),
        Request(prompt: (0..<200).map { ($0 * 29 + 3) % 101 }, format: .bf16, joinsAt: 5),
        Request(prompt: (0..<70).map { ($0 * 61 + 19) % 101 }, format: .f16, joinsAt: 7),
    ]
    static let newTokens = 6

    /// Greedy tokens and the logits each was picked from.
    struct Run: Equatable {
        var tokens: [Int] = [], logits: [[Float]] = []
    }

    /// The request alone: its prompt in one chunk, then one row a step.
    static func solo(_ model: LlamaModel, _ r: Request, path: KernelPath) throws -> Run {
        let ws = Workspace()
        ws.attentionPath = path
        let seq = model.makeSequence(kvFormat: r.format)
        var rows = r.prompt.indices.map { ForwardRow(sequence: seq, token: r.prompt[$0], position: $0,
                                                     needsLogits: $0 == r.prompt.count - 1) }
        var run = Run()
        while run.tokens.count < newTokens {
            let out = try model.forward(rows, lora: LoRABatchPlan(rows: Array(repeating: [], count: rows.count)),
                                        workspace: ws)
            let logits = Array(try #require(out[rows.count - 1]))
            run.logits.append(logits)
            run.tokens.append(VectorMath.argmax(logits))
            rows = [ForwardRow(sequence: seq, token: run.tokens.last!, position: seq.length)]
        }
        return run
    }

    /// Every request in one batch: a request's prompt chunk shares its
    /// joining step with the others' decode rows.
    static func batched(_ model: LlamaModel, path: KernelPath) throws -> [Run] {
        let ws = Workspace()
        ws.attentionPath = path
        let seqs = requests.map { model.makeSequence(kvFormat: $0.format) }
        var runs = [Run](repeating: Run(), count: requests.count)
        var step = 0
        while runs.contains(where: { $0.tokens.count < newTokens }) {
            var rows: [ForwardRow] = [], owners: [Int] = []
            for (i, r) in requests.enumerated() where r.joinsAt <= step && runs[i].tokens.count < newTokens {
                if r.joinsAt == step {
                    rows += r.prompt.indices.map { ForwardRow(sequence: seqs[i], token: r.prompt[$0], position: $0,
                                                              needsLogits: $0 == r.prompt.count - 1) }
                } else {
                    rows.append(ForwardRow(sequence: seqs[i], token: runs[i].tokens.last!, position: seqs[i].length))
                }
                owners.append(i)
            }
            let out = try model.forward(rows, lora: LoRABatchPlan(rows: Array(repeating: [], count: rows.count)),
                                        workspace: ws)
            #expect(out.rows.count == owners.count)
            for (row, i) in zip(out.rows, owners) {
                let logits = Array(try #require(out[row]))
                runs[i].logits.append(logits)
                runs[i].tokens.append(VectorMath.argmax(logits))
            }
            step += 1
        }
        return runs
    }

    /// Each row of the staggered batch gives its sequence's solo logits
    /// (within 1e-4: the batch's projections run the batched kernel, a solo
    /// decode step the one-row one) and so the same greedy tokens; and every
    /// path's solo logits are the portable path's within 1e-4.
    @Test(arguments: KernelPath.available)
    func staggeredLongSequencesInOneBatchEqualTheirSoloRuns(path: KernelPath) throws {
        let (model, _) = try RandomModels.model(try Self.config(), seed: 21)
        let batch = try Self.batched(model, path: path)
        for (i, r) in Self.requests.enumerated() {
            let alone = try Self.solo(model, r, path: path)
            let portable = try Self.solo(model, r, path: .portable)
            #expect(batch[i].tokens == alone.tokens, "request \(i) (\(r.format) cache), \(path)")
            for (step, (b, a)) in zip(batch[i].logits, alone.logits).enumerated() {
                #expect(maxAbsDiff(b, a) < 1e-4, "request \(i) step \(step), \(path): batch vs solo")
            }
            for (step, (a, p)) in zip(alone.logits, portable.logits).enumerated() {
                #expect(maxAbsDiff(a, p) < 1e-4, "request \(i) step \(step), \(path) vs portable")
            }
        }
    }
}
