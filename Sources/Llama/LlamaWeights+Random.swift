extension LlamaWeights {
    /// A model of `config`'s shape with seeded random weights (matrices
    /// uniform in ±1/√in, norms near 1): for benchmarks and tests that need a
    /// real model's size and cost but not its knowledge.
    public static func random(config: LlamaConfig, seed: UInt64 = 0) throws -> LlamaWeights {
        var rng = SeededGenerator(seed: seed)
        return try LlamaWeights(config: config) { name in
            let h = config.hiddenSize
            let shape: [Int]
            if name.hasSuffix("norm.weight") {
                shape = [h]
                return TensorValues(shape: shape, values: (0..<h).map { _ in 1 + Float(rng.nextUnit() - 0.5) * 0.2 })
            }
            switch name {
            case "model.embed_tokens.weight", "lm_head.weight": shape = [config.vocabSize, h]
            default:
                guard let kind = LinearKindName.kind(of: name) else { return nil }
                let s = LlamaWeights.shape(of: kind, config)
                shape = [s.outFeatures, s.inFeatures]
            }
            let n = shape[0] * shape[1]
            let scale = 2 / Float(shape[1]).squareRoot()
            // Top 24 bits → a float in [0, 1) exactly; cheaper than nextUnit for 10⁸ values.
            let values = [Float](unsafeUninitializedCapacity: n) { buffer, count in
                for i in 0..<n {
                    buffer[i] = (Float(rng.next() >> 40) * 0x1.0p-24 - 0.5) * scale
                }
                count = n
            }
            return TensorValues(shape: shape, values: values)
        }
    }
}
