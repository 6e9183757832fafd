import SafeTensors

/// A base checkpoint on disk as `BaseLinears`, for tools that load adapters
/// without loading a model (`lorad merge`): W0 as stored, widened to F32.
public struct CheckpointLinears: BaseLinears {
    public let checkpoint: Checkpoint
    public let linearShapes: [LinearID: LinearShape]

    public init(_ checkpoint: Checkpoint) {
        self.checkpoint = checkpoint
        linearShapes = AdapterLoader.linearShapes(of: checkpoint)
    }

    public func withWeight<R>(of id: LinearID, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let shape = linearShapes[id] else {
            throw AdapterError.baseMismatch(tensor: id.weightName, reason: "is not in the base checkpoint")
        }
        let values = try checkpoint.floats(id.weightName)   // (out, in)
        guard values.count == shape.outFeatures * shape.inFeatures else {
            throw AdapterError.baseMismatch(tensor: id.weightName, reason: "holds \(values.count) values, its shape \(shape) needs \(shape.outFeatures * shape.inFeatures)")
        }
        return try values.withUnsafeBufferPointer(body)
    }
}
