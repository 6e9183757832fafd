import FileReading
import Kernels
import LoRA

/// A loaded Llama-family model ready to run: weights plus what is derived
/// from the config once (RoPE frequencies, attention scale).
///
/// The forward pass (`LlamaModel+Forward.swift`) is the one API the engine
/// uses. It holds no per-request state: sequences carry their KV caches
/// (`SequenceState`), the calling thread brings its scratch (`Workspace`).
public final class LlamaModel: Sendable {
    public let weights: LlamaWeights
    /// The checkpoint files the weights were copied from, as they were then
    /// (empty for weights built in memory).
    public let sourceFiles: [FileIdentity]
    public var config: LlamaConfig { weights.config }
    let rope: RoPE
    /// 1/√headDim, transformers `LlamaAttention.scaling`.
    let attentionScale: Float

    public init(weights: LlamaWeights, sourceFiles: [FileIdentity] = []) {
        self.weights = weights
        self.sourceFiles = sourceFiles
        rope = RoPE(headDim: weights.config.headDim, inverseFrequencies: weights.config.ropeInverseFrequencies)
        attentionScale = 1 / Float(weights.config.headDim).squareRoot()
    }

    /// A new empty sequence for this model (capacity ≤ max_position_embeddings),
    /// its K and V cached in `kvFormat`.
    public func makeSequence(capacity: Int? = nil, kvFormat: WeightFormat = .f32) -> SequenceState {
        SequenceState(config: config, capacity: capacity, format: kvFormat)
    }
}
