import Foundation

/// A JSON value whose objects keep their key order.
///
/// Why not `JSONSerialization`/`JSONDecoder`: PEFT resolves `rank_pattern` and
/// `alpha_pattern` by taking the *first* matching key in dict order
/// (`peft.utils.other.get_pattern_key`), and Python dicts keep insertion order,
/// which `json.dump` preserves in the file. Foundation's dictionaries do not.
enum OrderedJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(key: String, value: OrderedJSON)])

    static func == (a: OrderedJSON, b: OrderedJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Value for `key` in an object (the last one wins on duplicates, as in Python's `json`).
    subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }

    /// Python truthiness of the decoded value (`bool(x)`): null, false, 0, "", [] and {} are falsy.
    var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .number(let n): return n != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }

    /// A short rendering for error messages.
    var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.brief).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "\"\($0.key)\": \($0.value.brief)" }.joined(separator: ", ") + "}"
        }
    }
}
