import Foundation
import Testing
@testable import Llama
import LoRA

/// Every family's extras (biases on any projection, per-head q/k norms,
/// head_dim ≠ hidden/heads) through the fused, cached forward pass against
/// the naive Double reference in `RandomModels`.
@Suite struct FamilyForwardTests {
    struct Case: Sendable, CustomStringConvertible {
        let family: ModelFamily
        let biases: Set<LinearKind>?
        var description: String { "\(family.modelType) biases \(biases.map { $0.map(\.rawValue).sorted() } ?? ["family's"])" }
    }

    static let cases = [
        Case(family: .qwen2, biases: nil),                             // q, k, v
        Case(family: .qwen3, biases: nil),                             // q/k norms, no bias
        Case(family: .qwen3, biases: [.q, .k, .v, .o]),                // attention_bias true
        Case(family: .llama, biases: Set(LinearKind.allCases)),        // attention_bias and mlp_bias
    ]
    let tokens = [3, 17, 99, 42, 0, 100, 7, 7, 56, 23, 11]

    @Test(arguments: cases)
    func forwardMatchesTheNaiveReferenceInOneChunkAndInSeveral(_ c: Case) throws {
        let config = try RandomModels.config(family: c.family, biases: c.biases)
        let (model, tensors) = try RandomModels.model(config, seed: 5)
        let expected = RandomModels.referenceLogits(config, tensors, tokens: tokens)
        let (_, whole) = try model.prefill(tokens)
        let (_, chunked) = try model.prefill(tokens, chunks: [4, 1, 6])
        for i in tokens.indices {
            #expect(maxAbsDiff(whole[i], expected[i]) < 1e-4, "\(c) position \(i)")
            #expect(maxAbsDiff(chunked[i], expected[i]) < 1e-4, "\(c) chunked, position \(i)")
        }
    }

    /// y = W0·x + s·B·A·x + b through the low-rank path equals (W0 + s·B·A)·x + b:
    /// the bias is added once, after the adapter's delta, and never adapted.
    @Test(arguments: cases)
    func adapterOnBiasedProjectionsEqualsMergedWeightsWithTheSameBias(_ c: Case) throws {
        let config = try RandomModels.config(family: c.family, biases: c.biases)
        let (model, tensors) = try RandomModels.model(config, seed: 6)
        let (adapter, merged) = RandomModels.adapter(config, tensors, seed: 7)
        let (_, got) = try model.prefill(tokens, chunks: [5, 1, 5], lora: [AdapterUse(adapter)])
        let expected = RandomModels.referenceLogits(config, merged, tokens: tokens)
        for i in tokens.indices {
            #expect(maxAbsDiff(got[i], expected[i]) < 1e-4, "\(c) position \(i)")
        }
    }

    /// The reference itself must see the extras, or the tests above would
    /// pass with them ignored: dropping them changes the logits.
    @Test(arguments: cases)
    func theExtrasChangeTheReference(_ c: Case) throws {
        let config = try RandomModels.config(family: c.family, biases: c.biases)
        let tensors = RandomModels.tensors(config, seed: 5)
        let plain = try RandomModels.config(family: .llama, biases: [])
        // q_norm / k_norm end in "_norm.weight"; the layer norms in "layernorm.weight".
        let stripped = tensors.filter { !$0.key.hasSuffix(".bias") && !$0.key.hasSuffix("_norm.weight") }
        #expect(stripped.count < tensors.count)
        let a = RandomModels.referenceLogits(config, tensors, tokens: tokens)
        let b = RandomModels.referenceLogits(plain, stripped, tokens: tokens)
        #expect(maxAbsDiff(a.last!, b.last!) > 1e-2)
    }
}
