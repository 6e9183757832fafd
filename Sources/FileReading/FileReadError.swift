/// Why a file lorad needed could not be read. Every case names the file;
/// `reason` is the same text without the path, for errors that name the
/// file themselves.
public enum FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing at the path (ENOENT, also a dangling symlink).
    case missing(path: String)
    /// open(2) or fstat(2) failed for another reason (strerror: "Permission denied", …).
    case cannotOpen(path: String, reason: String)
    /// A FIFO, device, directory or socket: never read (a FIFO would block,
    /// /dev/zero never end).
    case notRegularFile(path: String, type: FileType)
    /// More bytes than `limit` allows: `size` as fstat(2) reported it, or
    /// nil when the file grew past the limit while it was read.
    case tooLarge(path: String, size: Int?, limit: FileSizeLimit)
    /// read(2) failed part-way (strerror).
    case readFailed(path: String, reason: String)
    /// A text file (template, configuration, token) whose bytes are not UTF-8.
    case notUTF8(path: String)

    public var path: String {
        switch self {
        case .missing(let path), .cannotOpen(let path, _), .notRegularFile(let path, _), .tooLarge(let path, _, _),
             .readFailed(let path, _), .notUTF8(let path):
            return path
        }
    }

    /// What is wrong, without the path.
    public var reason: String {
        switch self {
        case .missing: return "no such file"
        case .cannotOpen(_, let reason): return "cannot open: \(reason)"
        case .notRegularFile(_, let type): return "is \(type), not a regular file"
        case let .tooLarge(_, size, limit):
            return "\(size.map { "is \($0) bytes, " } ?? "")larger than the \(limit.bytes) bytes allowed for \(limit.kind)"
        case .readFailed(_, let reason): return "read failed: \(reason)"
        case .notUTF8: return "not UTF-8 text"
        }
    }

    public var description: String { "\(path): \(reason)" }
}
