import Testing
@testable import Llama

@Suite struct BenchmarkHarnessTests {
    /// The harness only reports numbers (no timing assertion); this checks it
    /// runs batched decode over random weights and counts what it did.
    @Test func decodeHarnessRunsOnARandomModel() throws {
        let config = try RandomModels.config(tied: true)
        let weights = try LlamaWeights.random(config: config, seed: 3)
        #expect(weights.lmHead === weights.embedTokens)
        let model = LlamaModel(weights: weights)
        let result = try DecodeBenchmark.decode(model: model, batch: 3, promptLength: 5, steps: 4, warmup: 1)
        #expect(try DecodeBenchmark.prefill(model: model, length: 12, repeats: 1) > 0)
        #expect(result.batch == 3 && result.steps == 4 && result.seconds > 0)
        // Every matrix once plus the norms, in F32.
        let c = config
        let perLayer = (c.queryDim + 2 * c.keyValueDim) * c.hiddenSize + c.hiddenSize * c.queryDim
            + 3 * c.intermediateSize * c.hiddenSize + 2 * c.hiddenSize
        #expect(result.bytesPerStep == 4 * (c.numHiddenLayers * perLayer + c.vocabSize * c.hiddenSize + c.hiddenSize))
    }
}
