import SafeTensors

/// Why a merge writes nothing: a value of the base it must not pass on, or a
/// value the output dtype cannot hold. Raised before the first byte of a
/// download (`MergePlan.checkValues`) or while `lorad merge` writes its
/// nameless file, which then never appears.
public enum MergeValueError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The base checkpoint holds NaN or ±infinity at `index` of `tensor`
    /// (shape `shape`): a damaged file, which `lorad serve` refuses to load too.
    case nonFiniteBase(tensor: String, shape: [Int], index: Int)
    /// `values` finite values of `tensor`, merged or converted, lie past
    /// what `dtype` holds and would be written as ±infinity.
    case outsideOutputRange(tensor: String, dtype: DType, values: Int)

    public var description: String {
        switch self {
        case let .nonFiniteBase(tensor, shape, index):
            let at = shape.count == 2 && shape[1] > 0 ? "row \(index / shape[1]), column \(index % shape[1])" : "element \(index)"
            return "base checkpoint tensor '\(tensor)' holds NaN or infinity at \(at) "
                + "(the checkpoint is damaged); nothing was merged"
        case let .outsideOutputRange(tensor, dtype, values):
            let limit = dtype == .f16 ? " (±65504)" : ""
            return "merged as \(dtype.rawValue), \(values) value(s) of '\(tensor)' lie past the largest "
                + "\(dtype.rawValue) value\(limit) and would be written as infinity; merge as bf16 or f32"
        }
    }
}
