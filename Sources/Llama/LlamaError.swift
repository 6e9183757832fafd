/// Everything that can go wrong loading or running a Llama-family model.
/// Each case names the file, key, tensor or row involved.
public enum LlamaError: Error, CustomStringConvertible, Equatable {
    /// A config file could not be read or is not a JSON object.
    case unreadableConfig(file: String, reason: String)
    /// A required key is absent from config.json.
    case missingKey(String)
    /// A key is present but holds the wrong kind of value or a value out of range.
    case invalidValue(key: String, reason: String)
    /// `architectures` / `model_type` name a family lorad does not compute (`ModelFamily.all`).
    case unsupportedArchitecture(String)
    /// A feature the config asks for that we do not implement (we refuse
    /// rather than serve a different model).
    case unsupportedFeature(String)
    /// A weight tensor the config requires is absent from the checkpoint.
    case missingTensor(String)
    /// The checkpoint holds a weight the config's architecture has no place
    /// for (a bias or q/k norm of another family): config and weights disagree.
    case unexpectedTensor(tensor: String, reason: String)
    /// A weight's shape disagrees with what the config implies.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A weight cannot be converted to F32 (integer dtype, unreadable bytes).
    case unreadableTensor(tensor: String, reason: String)
    /// A sequence would grow past its context capacity.
    case contextOverflow(position: Int, capacity: Int)
    /// A forward batch is malformed (positions out of order, token out of range, …).
    case invalidBatch(String)
    /// A live merge would put NaN or ±inf into this base tensor.
    case nonFiniteMerge(tensor: String)
    /// Converting this tensor to the resident `format` (`weights_dtype`)
    /// would round `values` of its finite values to ±infinity.
    case outsideFormatRange(tensor: String, format: String, values: Int)

    public var description: String {
        switch self {
        case let .unreadableConfig(file, reason):
            return "cannot read \(file): \(reason)"
        case let .missingKey(key):
            return "config.json: required key \"\(key)\" is missing"
        case let .invalidValue(key, reason):
            return "config key \"\(key)\" \(reason)"
        case let .unsupportedArchitecture(name):
            return "unsupported architecture \(name): lorad serves \(ModelFamily.supportedList)"
        case let .unsupportedFeature(what):
            return "unsupported model feature: \(what)"
        case let .missingTensor(name):
            return "checkpoint has no tensor \"\(name)\""
        case let .unexpectedTensor(tensor, reason):
            return "checkpoint tensor \"\(tensor)\" does not belong to this model: \(reason)"
        case let .shapeMismatch(tensor, expected, found):
            return "tensor \"\(tensor)\" has shape \(found) but the config implies \(expected) (maybe wrong config?)"
        case let .unreadableTensor(tensor, reason):
            return "tensor \"\(tensor)\": \(reason)"
        case let .contextOverflow(position, capacity):
            return "position \(position) exceeds the context capacity of \(capacity) tokens"
        case let .nonFiniteMerge(tensor):
            return "merging would make '\(tensor)' non-finite (the adapters' weights overflow F32); nothing was merged"
        case let .outsideFormatRange(tensor, format, values):
            return "tensor \"\(tensor)\" has \(values) value(s) past the largest \(format) value (F16: ±65504): "
                + "weights_dtype = \(format) cannot hold it; use bf16 or f32"
        case let .invalidBatch(reason):
            return "invalid forward batch: \(reason)"
        }
    }
}
