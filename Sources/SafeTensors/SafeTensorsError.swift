import FileReading

/// Everything that can be wrong with a safetensors file or a checkpoint
/// folder. Every case names the file (path or upload label) and, where there
/// is one, the tensor.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    /// The file (or a sharded checkpoint's index) is missing, not a regular
    /// file, too large or unreadable (`RegularFile`).
    case unreadable(FileReadError)
    /// Shorter than the 8-byte header length prefix.
    case truncated(file: String, size: Int)
    /// The u64 header length points past the end of the file.
    case headerLengthPastEOF(file: String, headerLength: UInt64, fileSize: Int)
    /// The header length exceeds `SafeTensorsLimits.maxHeaderBytes`.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    case headerNotJSON(file: String, reason: String)
    /// More tensor entries than the reader allows (`SafeTensorsLimits.maxTensors`).
    case tooManyTensors(file: String, count: Int, limit: Int)
    case invalidEntry(file: String, tensor: String, reason: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    /// shape product × dtype size differs from the byte range.
    case sizeMismatch(file: String, tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    case offsetsOutOfRange(file: String, tensor: String, offsets: [Int], dataSize: Int)
    case overlappingTensors(file: String, first: String, second: String)
    /// A hole between tensors or unused bytes after the last one (the
    /// reference implementation rejects both: `SafeTensorError::InvalidOffset`
    /// and `MetadataIncompleteBuffer`).
    case gapInData(file: String, tensor: String, expectedOffset: Int, actualOffset: Int)
    case trailingBytes(file: String, dataEnd: Int, dataSize: Int)
    case missingTensor(file: String, tensor: String)
    case notFloatingPoint(file: String, tensor: String, dtype: String)
    case invalidIndex(file: String, reason: String)
    case duplicateTensor(tensor: String, files: [String])
    case noWeights(folder: String)
    case writeFailed(file: String, reason: String)
    /// A mapped file was cut short on disk while in use: reading on would
    /// fault (SIGBUS) past its new end.
    case truncatedWhileMapped(file: String, mappedSize: Int, size: Int)
    case invalidWriterEntry(tensor: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open: \(reason)"
        case .unreadable(let error):
            return error.description
        case let .truncated(file, size):
            return "\(file): truncated safetensors file (\(size) bytes; needs at least the 8-byte header length)"
        case let .headerLengthPastEOF(file, n, size):
            return "\(file): header length \(n) points past the end of the file (\(size) bytes) — truncated download?"
        case let .headerTooLarge(file, n, limit):
            return "\(file): header length \(n) exceeds the limit of \(limit) bytes for this file"
        case let .tooManyTensors(file, count, limit):
            return "\(file): the header lists \(count) tensors, more than the \(limit) this reader accepts"
        case let .headerNotJSON(file, reason):
            return "\(file): header is not a JSON object: \(reason)"
        case let .invalidEntry(file, tensor, reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)': unknown dtype '\(dtype)'"
        case let .sizeMismatch(file, tensor, shape, dtype, expected, actual):
            return "\(file): tensor '\(tensor)': shape \(shape) of \(dtype) needs \(expected) bytes but data_offsets cover \(actual)"
        case let .offsetsOutOfRange(file, tensor, offsets, dataSize):
            return "\(file): tensor '\(tensor)': data_offsets \(offsets) outside the data section of \(dataSize) bytes"
        case let .overlappingTensors(file, a, b):
            return "\(file): tensors '\(a)' and '\(b)' overlap"
        case let .gapInData(file, tensor, expected, actual):
            return "\(file): tensor '\(tensor)' starts at \(actual) but the previous tensor ends at \(expected)"
        case let .trailingBytes(file, end, size):
            return "\(file): tensors end at \(end) but the data section has \(size) bytes"
        case let .missingTensor(file, tensor):
            return "\(file): no tensor named '\(tensor)'"
        case let .notFloatingPoint(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), expected F32, F16 or BF16"
        case let .invalidIndex(file, reason):
            return "\(file): invalid sharded-checkpoint index: \(reason)"
        case let .duplicateTensor(tensor, files):
            return "tensor '\(tensor)' appears in more than one shard: \(files.joined(separator: ", "))"
        case let .noWeights(folder):
            return "\(folder): no model.safetensors or model.safetensors.index.json"
        case let .writeFailed(file, reason):
            return "\(file): write failed: \(reason)"
        case let .truncatedWhileMapped(file, mappedSize, size):
            return "\(file) was cut from \(mappedSize) to \(size) bytes on disk while in use; replace model files by renaming "
                + "new ones into place, never by rewriting them"
        case let .invalidWriterEntry(tensor, reason):
            return "cannot write tensor '\(tensor)': \(reason)"
        }
    }
}
