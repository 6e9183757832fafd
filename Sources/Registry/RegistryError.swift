import CSQLite

/// Everything the adapter registry can refuse or fail with. Each case names
/// the adapter, file or SQLite call involved so a log line or an HTTP error
/// body is enough to act on.
///
/// HTTP mapping the daemon is expected to use: `invalidName` 400,
/// `alreadyExists` 409, `notFound` 404, `weightsTooLarge` 413,
/// `weightsSizeMismatch` / `checksumMismatch` 400, `busy` 503 with
/// `Retry-After` (transient), everything else 500.
public enum RegistryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The adapter name breaks `AdapterName`'s rule; `reason` says which part.
    case invalidName(String, reason: String)
    /// An adapter with this name exists and `replace` was not requested.
    case alreadyExists(String)
    /// No adapter with this name.
    case notFound(String)
    /// A SQLite call failed: extended result code, `sqlite3_errmsg`, and what lorad was doing.
    case sqlite(code: Int32, message: String, context: String)
    /// Another connection (another process: a second daemon on the same
    /// file, `sqlite3`, a backup) held the lock for longer than the busy
    /// timeout (SQLITE_BUSY, https://sqlite.org/rescode.html#busy). Nothing
    /// was changed, and the same call can succeed once the lock is released.
    case busy(path: String, context: String, waitedMilliseconds: Int32)
    /// The disk holding the registry is full (SQLITE_FULL): the transaction
    /// rolled back, nothing was changed, and it can pass once there is room.
    case full(path: String, context: String)
    /// The file's schema version (`PRAGMA user_version`) is not one this build can use.
    case unsupportedSchemaVersion(path: String, found: Int64, supported: Int64)
    /// The file is a SQLite database but not a lorad registry (or not a
    /// regular file, or empty where a registry must exist).
    case notARegistry(path: String, reason: String)
    /// Opened read-only (`Options.readOnly`), the file has an older schema
    /// than this build reads; opening it read-write (`lorad serve`) migrates it.
    case needsMigration(path: String, found: Int64, current: Int64)
    /// A write was asked of a registry opened read-only.
    case readOnly(path: String)
    /// A stored row does not hold what the registry wrote (bad JSON column,
    /// size or checksum disagreeing with the stored blob).
    case corrupt(name: String, reason: String)
    /// The weights exceed what SQLite stores in one value (SQLITE_LIMIT_LENGTH).
    case weightsTooLarge(name: String, byteCount: Int64, limit: Int64)
    /// The weights source produced a different number of bytes than it declared.
    case weightsSizeMismatch(name: String, declared: Int64, produced: Int64)
    /// The caller supplied an expected SHA-256 and the weights hash differently.
    case checksumMismatch(name: String, expected: String, actual: String)
    /// A metadata field the caller supplied is unusable (e.g. a malformed expected sha256).
    case invalidMetadata(name: String, field: String, reason: String)
    /// The registry was closed.
    case closed(path: String)

    public var description: String {
        switch self {
        case .invalidName(let name, let reason):
            return "invalid adapter name \(Self.quote(name)): \(reason)"
        case .alreadyExists(let name):
            return "adapter '\(name)' already exists (upload with replace=true to overwrite it)"
        case .notFound(let name):
            return "no adapter named \(Self.quote(name))"
        case .sqlite(let code, let message, let context):
            return "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))) while \(context): \(message)"
        case .full(let path, let context):
            return "the disk holding registry \(path) is full (while \(context)); nothing was changed: free space there and retry"
        case .busy(let path, let context, let waited):
            return "registry \(path) is locked by another connection (still busy after waiting \(waited) ms, while "
                + "\(context)); nothing was changed: retry shortly"
        case .unsupportedSchemaVersion(let path, let found, let supported):
            return "registry \(path) has schema version \(found); this lorad understands versions up to \(supported)"
                + (found > supported ? " (the file was written by a newer lorad; upgrade lorad or use another registry path)" : "")
        case .notARegistry(let path, let reason):
            return "\(path) is not a lorad adapter registry: \(reason)"
        case .needsMigration(let path, let found, let current):
            return "registry \(path) has schema version \(found), older than this lorad's \(current); it is read only "
                + "once migrated, which `lorad serve` does on start (a read-only opening changes nothing)"
        case .readOnly(let path):
            return "registry \(path) is open read-only: nothing can be written"
        case .corrupt(let name, let reason):
            return "adapter '\(name)' is corrupt in the registry: \(reason)"
        case .weightsTooLarge(let name, let byteCount, let limit):
            return "adapter '\(name)': weights of \(byteCount) bytes exceed the registry's limit of \(limit) bytes per adapter"
        case .weightsSizeMismatch(let name, let declared, let produced):
            return "adapter '\(name)': weights declared as \(declared) bytes but \(produced) bytes were "
                + (produced > declared ? "offered" : "provided")
        case .checksumMismatch(let name, let expected, let actual):
            return "adapter '\(name)': weights sha256 is \(actual), expected \(expected)"
        case .invalidMetadata(let name, let field, let reason):
            return "adapter '\(name)': invalid \(field): \(reason)"
        case .closed(let path):
            return "registry \(path) is closed"
        }
    }

    /// Quotes a user-supplied name for messages, escaping control characters.
    static func quote(_ s: String) -> String {
        "'" + s.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "'"
    }
}
