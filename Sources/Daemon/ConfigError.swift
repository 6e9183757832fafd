/// A configuration problem, reported before anything is bound.
///
/// Every case names the file and line (or the command-line flag) and the key,
/// so `lorad check-config` output points the operator at the exact spot:
/// `lorad.conf:12: unknown key 'max_bach'` (the `file:line:` form editors and
/// compilers use).
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The configuration file does not exist or cannot be read.
    case missingFile(path: String, reason: String)
    /// A line that is neither blank, a comment, nor `key = value`.
    case syntax(file: String, line: Int, detail: String)
    /// A key lorad does not know (a typo must not silently fall back to a default).
    case unknownKey(file: String, line: Int, key: String)
    /// A key whose value does not parse or is out of range.
    case badValue(file: String, line: Int, key: String, value: String, expected: String)
    /// A key given twice in one file; the first occurrence is at `firstLine`.
    case duplicateKey(file: String, line: Int, key: String, firstLine: Int)
    /// A command-line flag that is not a configuration key.
    case unknownFlag(flag: String)
    /// A command-line flag whose value does not parse or is out of range.
    case badFlagValue(flag: String, value: String, expected: String)
    /// A token file that cannot be read.
    case unreadableTokenFile(key: String, path: String, reason: String)
    /// A token file that is empty after trimming whitespace.
    case emptyTokenFile(key: String, path: String)
    /// A path-valued setting that points at nothing usable (`check-config`).
    case missingResource(key: String, path: String, detail: String)

    public var description: String {
        switch self {
        case let .missingFile(path, reason):
            return "\(path): cannot read configuration file: \(reason)"
        case let .syntax(file, line, detail):
            return "\(file):\(line): syntax error: \(detail)"
        case let .unknownKey(file, line, key):
            return "\(file):\(line): unknown key '\(key)'"
        case let .badValue(file, line, key, value, expected):
            return "\(file):\(line): bad value '\(value)' for key '\(key)': expected \(expected)"
        case let .duplicateKey(file, line, key, firstLine):
            return "\(file):\(line): duplicate key '\(key)' (first set on line \(firstLine))"
        case let .unknownFlag(flag):
            return "unknown option --\(flag)"
        case let .badFlagValue(flag, value, expected):
            return "--\(flag) \(value): expected \(expected)"
        case let .unreadableTokenFile(key, path, reason):
            return "\(key) \(path): cannot read token file: \(reason)"
        case let .emptyTokenFile(key, path):
            return "\(key) \(path): token file is empty"
        case let .missingResource(key, path, detail):
            return "\(key) \(path): \(detail)"
        }
    }
}
