import Foundation

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
    /// Two listeners that cannot both be bound (`ListenAddress.overlaps`),
    /// each as `key address`.
    case clashingListeners(first: String, second: String)
    /// A token file whose token no client could present (`reason` says why).
    case unusableToken(key: String, path: String, reason: String)
    /// A path-valued setting that points at nothing usable (`check-config`).
    case missingResource(key: String, path: String, detail: String)

    public var description: String {
        switch self {
        case let .missingFile(path, reason):
            return "\(path): cannot read configuration file: \(reason)"
        case let .syntax(file, line, detail):
            return "\(file):\(line): syntax error: \(detail)"
        case let .unknownKey(file, line, key):
            let hint = ConfigError.closestKey(to: key).map { " (did you mean '\($0)'?)" } ?? ""
            return "\(file):\(line): unknown key '\(key)'\(hint)"
        case let .badValue(file, line, key, value, expected):
            return "\(file):\(line): bad value '\(value)' for key '\(key)': expected \(expected)"
        case let .duplicateKey(file, line, key, firstLine):
            return "\(file):\(line): duplicate key '\(key)' (first set on line \(firstLine))"
        case let .unknownFlag(flag):
            let hint = ConfigError.closestKey(to: flag.replacingOccurrences(of: "-", with: "_"))
                .map { " (did you mean --\($0.replacingUnderscores())?)" } ?? ""
            return "unknown option --\(flag)\(hint)"
        case let .badFlagValue(flag, value, expected):
            return "--\(flag) \(value): expected \(expected)"
        case let .unreadableTokenFile(key, path, reason):
            return "\(key) \(path): cannot read token file: \(reason)"
        case let .emptyTokenFile(key, path):
            return "\(key) \(path): token file is empty"
        case let .clashingListeners(first, second):
            return "\(first) and \(second) take the same port on the same address: give each listener its own port"
        case let .unusableToken(key, path, reason):
            return "\(key) \(path): the token cannot be used: \(reason)"
        case let .missingResource(key, path, detail):
            return "\(key) \(path): \(detail)"
        }
    }

    /// The known key within two edits of `key` (a typo), if exactly one is closest.
    static func closestKey(to key: String) -> String? {
        let scored = ConfigKey.allCases.map { ($0.rawValue, editDistance(Array(key), Array($0.rawValue))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2,
              scored.filter({ $0.1 == best.1 }).count == 1 else { return nil }
        return best.0
    }

    /// Levenshtein distance (insert, delete, substitute), one row at a time.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
