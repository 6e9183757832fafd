/// A named weight handed to `LlamaWeights` by a loader: its PyTorch shape and
/// its values already converted to F32, row-major.
public struct TensorValues: Sendable {
    public let shape: [Int]
    public let values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}
