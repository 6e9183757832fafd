/// Command-line options of one subcommand: `--key value`, `--key=value`,
/// repeatable options, and boolean `--flag`s. Unknown options are an error
/// (a typo must not silently fall back to a default).
public struct Arguments {
    public private(set) var positional: [String] = []
    private var options: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// - Parameters:
    ///   - valued: options that take a value (without the leading `--`)
    ///   - booleans: options that take none
    public init<S: Sequence>(_ args: S, valued: Set<String>, booleans: Set<String> = []) throws where S.Element == String {
        var it = args.makeIterator()
        while let arg = it.next() {
            guard arg.hasPrefix("--"), arg.count > 2 else {
                positional.append(arg)
                continue
            }
            var key = String(arg.dropFirst(2))
            var inline: String? = nil
            if let eq = key.firstIndex(of: "=") {
                inline = String(key[key.index(after: eq)...])
                key = String(key[..<eq])
            }
            if booleans.contains(key), inline == nil {
                flags.insert(key)
            } else if valued.contains(key) {
                guard let value = inline ?? it.next() else { throw UsageError.missingValue(option: key) }
                options[key, default: []].append(value)
            } else {
                throw UsageError.unknownOption(option: key)
            }
        }
    }

    public func value(_ key: String) -> String? { options[key]?.last }
    public func values(_ key: String) -> [String] { options[key] ?? [] }
    public func flag(_ key: String) -> Bool { flags.contains(key) }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let s = value(key) else { return fallback }
        guard let v = Int(s), range.contains(v) else {
            throw UsageError.badValue(option: key, value: s, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func float(_ key: String, default fallback: Float, range: ClosedRange<Float> = -Float.greatestFiniteMagnitude...Float.greatestFiniteMagnitude) throws -> Float {
        guard let s = value(key) else { return fallback }
        guard let v = Float(s), v.isFinite, range.contains(v) else {
            throw UsageError.badValue(option: key, value: s, expected: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func uint64(_ key: String) throws -> UInt64? {
        guard let s = value(key) else { return nil }
        guard let v = UInt64(s) else { throw UsageError.badValue(option: key, value: s, expected: "a non-negative integer") }
        return v
    }
}

/// A mistake on the command line; printed with the subcommand's usage.
public enum UsageError: Error, CustomStringConvertible {
    case missingValue(option: String)
    case unknownOption(option: String)
    case badValue(option: String, value: String, expected: String)
    case unknownCommand(String)
    case missing(String)

    public var description: String {
        switch self {
        case .missingValue(let o): return "option --\(o) needs a value"
        case .unknownOption(let o): return "unknown option --\(o)"
        case let .badValue(o, v, e): return "--\(o) \(v): expected \(e)"
        case .unknownCommand(let c): return "unknown command '\(c)'"
        case .missing(let what): return "missing \(what)"
        }
    }
}
