/// A parsed JSON document (RFC 8259) that keeps what Foundation's
/// `JSONSerialization` loses:
///
/// - **Object member order.** Members are an ordered list, duplicates included.
///   PEFT resolves `rank_pattern`/`alpha_pattern` by the *first* matching key in
///   file order (`peft.utils.other.get_pattern_key`), and Python dicts keep
///   insertion order, which `json.dump` preserves.
/// - **Byte-exact strings.** Strings are built from the document's UTF-8 bytes
///   without normalization, so `string.utf8` is exactly what the file held
///   (escapes decoded). Key lookups (`subscript`) and `==` compare those bytes,
///   not Swift's canonical equivalence, under which "Å" (U+00C5) and "Å"
///   (U+212B) are equal and would merge distinct tokenizer vocabulary entries.
/// - **Integer vs float.** A number written without fraction or exponent that
///   fits in `Int` is `.integer`; every other number is `.float`.
public enum JSONValue: Sendable {
    /// An object's members in document order, duplicate keys included.
    public typealias Members = [(key: String, value: JSONValue)]

    case null
    case bool(Bool)
    /// A number written with neither fraction nor exponent that fits in `Int`.
    case integer(Int)
    /// Any other number; also `NaN`/`Infinity` when `JSONParseOptions.allowNonFiniteNumbers` is set.
    case float(Double)
    case string(String)
    case array([JSONValue])
    case object(Members)

    /// True for `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The value of member `key` in an object (byte-exact comparison). On
    /// duplicate keys the *last* one wins, as in Python's `json` and serde_json.
    /// Nil when absent or when `self` is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key.utf8.elementsEqual(key.utf8) }?.value
    }

    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The boolean, if this is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// The members in document order, if this is an object.
    public var objectValue: Members? { if case .object(let o) = self { return o } else { return nil } }

    /// Any number as a `Double` (integers beyond 2^53 round).
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    /// An integer, or a float with an integral value below 9e15 in magnitude
    /// (Python writes `8.0` for a float that the reader treats as an int).
    public var intValue: Int? {
        switch self {
        case .integer(let i): return i
        case .float(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
}

extension JSONValue: Equatable {
    /// Structural equality; strings and keys compare byte-exactly, member order
    /// matters, and `.integer(1) != .float(1)`.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count
                && zip(x, y).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value == $1.value }
        default: return false
        }
    }
}
