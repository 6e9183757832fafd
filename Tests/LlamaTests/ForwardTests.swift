import Testing
@testable import Llama
import LoRA

@Suite struct ForwardTests {
    let tokens = [3, 17, 99, 42, 0, 100, 7, 7, 56, 23, 11]

    @Test func forwardMatchesNaiveReferenceAtEveryPosition() throws {
        let config = try RandomModels.config()
        let (model, tensors) = try RandomModels.model(config)
        let (_, logits) = try model.prefill(tokens)
        let expected = RandomModels.referenceLogits(config, tensors, tokens: tokens)
        for (got, want) in zip(logits, expected) {
            #expect(maxAbsDiff(got, want) < 1e-4)
        }
    }

    @Test func tiedEmbeddingsShareOneBufferAndMatchTheReference() throws {
        let config = try RandomModels.config(tied: true)
        let (model, tensors) = try RandomModels.model(config, seed: 9)
        #expect(model.weights.lmHead === model.weights.embedTokens)
        #expect(tensors["lm_head.weight"] == nil)
        let (_, logits) = try model.prefill(Array(tokens.prefix(4)))
        let expected = RandomModels.referenceLogits(config, tensors, tokens: Array(tokens.prefix(4)))
        #expect(maxAbsDiff(logits[3], expected[3]) < 1e-4)
    }

    @Test func prefillInChunksOrTokenByTokenEqualsOneChunk() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let (_, whole) = try model.prefill(tokens)
        let (_, chunked) = try model.prefill(tokens, chunks: [4, 1, 6])
        let (_, single) = try model.prefill(tokens, chunks: Array(repeating: 1, count: tokens.count))
        for i in tokens.indices {
            #expect(maxAbsDiff(whole[i], chunked[i]) < 1e-4)
            #expect(maxAbsDiff(whole[i], single[i]) < 1e-4)
        }
    }

    /// Three sequences at different positions in one batch: two decode rows
    /// and one prefill chunk. Each row must equal running its sequence alone.
    @Test func mixedBatchRowsEqualEachSequenceRunAlone() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let a = [5, 6, 7, 8, 9, 10], b = [20, 21, 22], c = [30, 31, 32, 33, 34]
        let ws = Workspace()
        // Alone: full prefill of each, logits of every position.
        let (_, aloneA) = try model.prefill(a)
        let (_, aloneB) = try model.prefill(b)
        let (_, aloneC) = try model.prefill(c)
        // Batched: A has 5 cached, B has 2 cached, C starts now.
        let (seqA, _) = try model.prefill(Array(a.prefix(5)), workspace: ws)
        let (seqB, _) = try model.prefill(Array(b.prefix(2)), workspace: ws)
        let seqC = model.makeSequence()
        var rows = [ForwardRow(sequence: seqA, token: a[5], position: 5),
                    ForwardRow(sequence: seqB, token: b[2], position: 2)]
        rows += c.indices.map { ForwardRow(sequence: seqC, token: c[$0], position: $0, needsLogits: $0 == c.count - 1) }
        let out = try model.forward(rows, lora: LoRABatchPlan(rows: []), workspace: ws)
        #expect(out.rows == [0, 1, rows.count - 1])
        #expect(maxAbsDiff(out[0]!, aloneA[5]) < 1e-5)
        #expect(maxAbsDiff(out[1]!, aloneB[2]) < 1e-5)
        #expect(maxAbsDiff(out[rows.count - 1]!, aloneC[4]) < 1e-5)
        #expect(out[2] == nil)
        #expect(seqA.length == 6 && seqB.length == 3 && seqC.length == 5)
        // And a following decode step of all three, batched, still agrees.
        let next = try model.forward([ForwardRow(sequence: seqC, token: 1, position: 5),
                                      ForwardRow(sequence: seqA, token: 2, position: 6)],
                                     lora: LoRABatchPlan(rows: []), workspace: ws)
        let (_, refC) = try model.prefill(c + [1])
        let (_, refA) = try model.prefill(a + [2])
        #expect(maxAbsDiff(next[0]!, refC[5]) < 1e-5)
        #expect(maxAbsDiff(next[1]!, refA[6]) < 1e-5)
    }

    /// Rows of two prompts interleaved (A0 B0 A1 B1 …) are still each
    /// sequence's causal prefill.
    @Test func interleavedRowsOfTwoSequencesEqualEachAlone() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let a = [4, 8, 15, 16, 23], b = [42, 1, 2, 3, 5]
        let (_, aloneA) = try model.prefill(a)
        let (_, aloneB) = try model.prefill(b)
        let sa = model.makeSequence(), sb = model.makeSequence()
        let rows = a.indices.flatMap { [ForwardRow(sequence: sa, token: a[$0], position: $0),
                                        ForwardRow(sequence: sb, token: b[$0], position: $0)] }
        let out = try model.forward(rows, lora: LoRABatchPlan(rows: []), workspace: Workspace())
        for i in a.indices {
            #expect(maxAbsDiff(out[2 * i]!, aloneA[i]) < 1e-5)
            #expect(maxAbsDiff(out[2 * i + 1]!, aloneB[i]) < 1e-5)
        }
    }

    /// The LoRA hook after each base matmul (including the column slices of
    /// the fused q;k;v and gate;up outputs) equals a model whose W0 was
    /// replaced by W0 + s·B·A.
    @Test func loraDeltasEqualAModelWithMergedWeights() throws {
        let config = try RandomModels.config()
        let (model, tensors) = try RandomModels.model(config)
        let (adapter, merged) = RandomModels.adapter(config, tensors, seed: 77)
        let mergedModel = LlamaModel(weights: try LlamaWeights(config: config) { merged[$0] })

        let (_, viaLoRA) = try model.prefill(tokens, lora: [AdapterUse(adapter)])
        let (_, viaMerge) = try mergedModel.prefill(tokens)
        for i in tokens.indices { #expect(maxAbsDiff(viaLoRA[i], viaMerge[i]) < 1e-4) }

        // Single-row decode (gemv path) with the adapter, batched next to a base-only row.
        let (seqL, _) = try model.prefill(Array(tokens.prefix(3)), lora: [AdapterUse(adapter)])
        let (seqB, _) = try model.prefill(Array(tokens.prefix(3)))
        let out = try model.forward([ForwardRow(sequence: seqL, token: tokens[3], position: 3),
                                     ForwardRow(sequence: seqB, token: tokens[3], position: 3)],
                                    lora: LoRABatchPlan(rows: [[AdapterUse(adapter)], []]), workspace: Workspace())
        let (_, base) = try model.prefill(Array(tokens.prefix(4)))
        #expect(maxAbsDiff(out[0]!, viaMerge[3]) < 1e-4)
        #expect(maxAbsDiff(out[1]!, base[3]) < 1e-5)
        #expect(maxAbsDiff(viaMerge[3], base[3]) > 1e-2)   // the adapter does change the output
        let (seqS, _) = try model.prefill(Array(tokens.prefix(3)), lora: [AdapterUse(adapter)])
        let one = try model.forward([ForwardRow(sequence: seqS, token: tokens[3], position: 3)],
                                    lora: LoRABatchPlan(rows: [[AdapterUse(adapter)]]), workspace: Workspace())
        #expect(maxAbsDiff(one[0]!, viaMerge[3]) < 1e-4)
    }
}

@Suite struct ForwardValidationTests {
    @Test func growingPastTheCapacityIsRefusedAndLeavesTheCacheAlone() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config(maxPositions: 64))
        let seq = model.makeSequence(capacity: 4)
        _ = try model.forward((0..<3).map { ForwardRow(sequence: seq, token: $0, position: $0) },
                              lora: LoRABatchPlan(rows: []), workspace: Workspace())
        #expect(throws: LlamaError.contextOverflow(position: 4, capacity: 4)) {
            _ = try model.forward([3, 4].map { ForwardRow(sequence: seq, token: $0, position: $0) },
                                  lora: LoRABatchPlan(rows: []), workspace: Workspace())
        }
        #expect(seq.length == 3)
        #expect(model.makeSequence(capacity: 1000).capacity == 64)
    }

    @Test func positionsMustContinueTheCache() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let seq = model.makeSequence()
        #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: seq, token: 1, position: 1)],
                                  lora: LoRABatchPlan(rows: []), workspace: Workspace())
        }
        #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: seq, token: 1, position: 0),
                                   ForwardRow(sequence: seq, token: 1, position: 0)],
                                  lora: LoRABatchPlan(rows: []), workspace: Workspace())
        }
        #expect(seq.length == 0)
    }

    @Test func tokensOutsideTheVocabularyAreRefused() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: model.makeSequence(), token: 101, position: 0)],
                                  lora: LoRABatchPlan(rows: []), workspace: Workspace())
        }
        #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: model.makeSequence(), token: -1, position: 0)],
                                  lora: LoRABatchPlan(rows: []), workspace: Workspace())
        }
    }

    @Test func aLoRAPlanForADifferentBatchIsRefused() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let adapter = LoRAAdapter(name: "empty", modules: [:])
        #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: model.makeSequence(), token: 1, position: 0)],
                                  lora: LoRABatchPlan(rows: [[AdapterUse(adapter)], []]), workspace: Workspace())
        }
    }

    @Test func anAdapterShapedForAnotherModelIsRefused() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let wrong = LoRAModule(rank: 1, inFeatures: 10, outFeatures: 64, scale: 1,
                               a: [Float](repeating: 1, count: 10), b: [Float](repeating: 1, count: 64))
        let adapter = LoRAAdapter(name: "other", modules: [LinearID(layer: 0, kind: .o): wrong])
        let seq = model.makeSequence()
        let error = #expect(throws: LlamaError.self) {
            _ = try model.forward([ForwardRow(sequence: seq, token: 1, position: 0)],
                                  lora: LoRABatchPlan(rows: [[AdapterUse(adapter)]]), workspace: Workspace())
        }
        #expect(error?.description.contains("model.layers.0.self_attn.o_proj") == true)
        #expect(seq.length == 0)
    }

    @Test func truncatingLetsASequenceRecomputeItsSuffix() throws {
        let (model, _) = try RandomModels.model(try RandomModels.config())
        let (seq, first) = try model.prefill([1, 2, 3, 4])
        seq.truncate(to: 2)
        let again = try model.forward([ForwardRow(sequence: seq, token: 3, position: 2),
                                       ForwardRow(sequence: seq, token: 4, position: 3)],
                                      lora: LoRABatchPlan(rows: []), workspace: Workspace())
        #expect(maxAbsDiff(again[1]!, first[3]) < 1e-5)
    }
}
