import Foundation
import Kernels
import SafeTensors

extension LlamaWeights {
    /// Loads and shape-checks every weight of `config` from a checkpoint
    /// (single file or sharded). The matrices are kept in `format` — nil
    /// keeps the checkpoint's own (`checkpointFormat`) — converting with
    /// round-to-nearest-even where `format` is narrower; norms and biases
    /// are read into F32.
    ///
    /// - Parameter progress: called after each tensor with (bytes read so far,
    ///   bytes of all checkpoint files), for a progress line on large models;
    ///   what it throws stops the load (a daemon told to stop while loading).
    public convenience init(config: LlamaConfig, checkpoint: Checkpoint, format: WeightFormat? = nil,
                            pages: WeightPages = .huge,
                            progress: ((_ loaded: Int, _ total: Int) throws -> Void)? = nil) throws {
        // Layers past num_hidden_layers would be skipped without a word and
        // a shallower model served: a config.json that disagrees with its
        // weights is refused (transformers only warns of unused weights).
        for name in checkpoint.tensorNames {
            let parts = name.split(separator: ".", maxSplits: 3)
            guard parts.count == 4, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
                  layer >= config.numHiddenLayers else { continue }
            throw LlamaError.unexpectedTensor(tensor: name, reason: "config.json's num_hidden_layers is "
                + "\(config.numHiddenLayers), but the checkpoint has weights for layer \(layer)")
        }
        let total = checkpoint.files.reduce(0) { $0 + $1.byteCount }
        var loaded = 0
        try self.init(config: config, format: format ?? Self.checkpointFormat(checkpoint), pages: pages) { name in
            guard let info = checkpoint.info(name) else { return nil }
            guard info.dtype.isFloatingPoint else {
                throw LlamaError.unreadableTensor(tensor: name,
                    reason: "dtype \(info.dtype.rawValue) is not a floating-point weight")
            }
            let values: TensorValues
            do {
                values = TensorValues(shape: info.shape, values: try checkpoint.floats(name))
            } catch {
                throw LlamaError.unreadableTensor(tensor: name, reason: "\(error)")
            }
            loaded += info.byteCount
            try progress?(loaded, total)
            return values
        }
    }
}

extension LlamaWeights {
    /// The format a checkpoint's matrices are stored in, read from its first
    /// projection (`model.layers.0.self_attn.q_proj.weight`): BF16 and F16
    /// stay 16-bit, anything else (F32, F64) is served as F32.
    public static func checkpointFormat(_ checkpoint: Checkpoint) -> WeightFormat {
        switch checkpoint.info("model.layers.0.self_attn.q_proj.weight")?.dtype {
        case .bf16: return .bf16
        case .f16: return .f16
        default: return .f32
        }
    }
}

extension LlamaModel {
    /// Loads a Hugging Face model folder: config.json (+ generation_config.json)
    /// and model.safetensors or its sharded index; `weightsFormat` as in
    /// `LlamaWeights(config:checkpoint:format:)` (nil: the checkpoint's own),
    /// the matrices on `pages`.
    public static func load(folder: URL, weightsFormat: WeightFormat? = nil, pages: WeightPages = .huge,
                            progress: ((_ loaded: Int, _ total: Int) throws -> Void)? = nil) throws -> LlamaModel {
        let config = try LlamaConfig(folder: folder)
        let checkpoint = try Checkpoint(folder: folder)
        return LlamaModel(weights: try LlamaWeights(config: config, checkpoint: checkpoint, format: weightsFormat,
                                                    pages: pages, progress: progress),
                          sourceFiles: checkpoint.identities)
    }
}
