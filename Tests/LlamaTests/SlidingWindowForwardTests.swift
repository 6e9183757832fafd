import Testing
import Kernels
@testable import Llama

/// Sliding-window attention (Mistral's every layer, Qwen's chosen layers)
/// through the cached forward pass — prefill runs, one-row decode steps,
/// F32 and 16-bit caches — against the naive Double reference in
/// `RandomModels`, which masks keys as transformers'
/// `sliding_window_causal_mask_function` does.
@Suite struct SlidingWindowForwardTests {
    struct Case: Sendable, CustomStringConvertible {
        let family: ModelFamily
        let window: Int
        let layers: Set<Int>?
        var description: String { "\(family.modelType) window \(window) layers \(layers.map { $0.sorted() } ?? [0, 1])" }
    }

    static let cases = [
        Case(family: .mistral, window: 3, layers: nil),
        Case(family: .mistral, window: 1, layers: nil),   // each position sees itself only
        Case(family: .qwen2, window: 4, layers: [1]),
        Case(family: .qwen3, window: 5, layers: [0]),
    ]
    let tokens = [3, 17, 99, 42, 0, 100, 7, 7, 56, 23, 11]

    @Test(arguments: cases)
    func forwardMatchesTheReferenceInRunsAndInSingleSteps(_ c: Case) throws {
        let config = try RandomModels.config(family: c.family, slidingWindow: c.window, slidingLayers: c.layers)
        #expect(config.slidingWindow == c.window)
        let (model, tensors) = try RandomModels.model(config, seed: 8)
        let expected = RandomModels.referenceLogits(config, tensors, tokens: tokens)
        for chunks in [[11], [4, 1, 6], [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]] {
            let (_, got) = try model.prefill(tokens, chunks: chunks)
            for i in tokens.indices {
                #expect(maxAbsDiff(got[i], expected[i]) < 1e-4, "\(c) chunks \(chunks), position \(i)")
            }
        }
    }

    /// Over a 16-bit cache the runs and the one-row steps read the same
    /// rounded keys and values, so they agree far more closely than either
    /// does with the F32 reference; a wrong byte offset into the cache's
    /// window would not.
    @Test(arguments: cases, [WeightFormat.f16, .bf16])
    func sixteenBitCachesGiveTheSameLogitsInRunsAndSingleSteps(_ c: Case, kv: WeightFormat) throws {
        let config = try RandomModels.config(family: c.family, slidingWindow: c.window, slidingLayers: c.layers)
        let (model, _) = try RandomModels.model(config, seed: 9)
        let (_, whole) = try model.prefill(tokens, kvFormat: kv)
        let (_, steps) = try model.prefill(tokens, chunks: [3] + Array(repeating: 1, count: 8), kvFormat: kv)
        for i in tokens.indices {
            #expect(maxAbsDiff(whole[i], steps[i]) < 1e-4, "\(c) \(kv), position \(i)")
        }
    }

    /// The reference must see the window, or the tests above would pass
    /// with it ignored: past the window the logits move, inside it they
    /// are those of full attention.
    @Test(arguments: cases)
    func theWindowChangesTheReferenceOnlyPastIt(_ c: Case) throws {
        let windowed = try RandomModels.config(family: c.family, slidingWindow: c.window, slidingLayers: c.layers)
        let full = try RandomModels.config(family: c.family)
        let tensors = RandomModels.tensors(windowed, seed: 8)
        let a = RandomModels.referenceLogits(windowed, tensors, tokens: tokens)
        let b = RandomModels.referenceLogits(full, tensors, tokens: tokens)
        for i in tokens.indices {
            if i < c.window {
                #expect(a[i] == b[i], "\(c) position \(i)")
            } else {
                #expect(maxAbsDiff(a[i], b[i]) > 1e-3, "\(c) position \(i)")
            }
        }
    }

    @Test func aWindowAsLongAsTheContextNeverBindsAndAZeroWindowIsRefused() throws {
        let wide = try RandomModels.config(family: .mistral, maxPositions: 64, slidingWindow: 64)
        #expect(wide.slidingWindow == nil && wide.slidingLayers.isEmpty && wide.attentionWindow(layer: 0) == nil)
        let narrow = try RandomModels.config(family: .mistral, maxPositions: 64, slidingWindow: 63)
        #expect(narrow.attentionWindow(layer: 1) == 63)
        #expect(throws: LlamaError.self) { try RandomModels.config(family: .mistral, slidingWindow: 0) }
    }
}
