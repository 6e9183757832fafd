import Foundation
import SafeTensors

extension LlamaWeights {
    /// Loads and shape-checks every weight of `config` from a checkpoint
    /// (single file or sharded), converting F32/F16/BF16 to F32 exactly.
    ///
    /// - Parameter progress: called after each tensor with (bytes read so far,
    ///   bytes of all checkpoint files), for a progress line on large models.
    public convenience init(config: LlamaConfig, checkpoint: Checkpoint,
                            progress: ((_ loaded: Int, _ total: Int) -> Void)? = nil) throws {
        let total = checkpoint.files.reduce(0) { $0 + $1.byteCount }
        var loaded = 0
        try self.init(config: config) { name in
            guard let info = checkpoint.info(name) else { return nil }
            defer {
                loaded += info.byteCount
                progress?(loaded, total)
            }
            guard info.dtype.isFloatingPoint else {
                throw LlamaError.unreadableTensor(tensor: name,
                    reason: "dtype \(info.dtype.rawValue) is not a floating-point weight")
            }
            do {
                return TensorValues(shape: info.shape, values: try checkpoint.floats(name))
            } catch {
                throw LlamaError.unreadableTensor(tensor: name, reason: "\(error)")
            }
        }
    }
}

extension LlamaModel {
    /// Loads a Hugging Face model folder: config.json (+ generation_config.json)
    /// and model.safetensors or its sharded index.
    public static func load(folder: URL, progress: ((_ loaded: Int, _ total: Int) -> Void)? = nil) throws -> LlamaModel {
        let config = try LlamaConfig(folder: folder)
        let checkpoint = try Checkpoint(folder: folder)
        return LlamaModel(weights: try LlamaWeights(config: config, checkpoint: checkpoint, progress: progress))
    }
}
