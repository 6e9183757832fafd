/// A JSON value together with its path from the document root, so every
/// typed accessor can say exactly which field was wrong
/// (`tensors.q_proj.shape[1]: must be a non-negative integer, got -3`).
///
/// This is the one way lorad reads untrusted or semi-trusted JSON: request
/// bodies, config.json, adapter_config.json, tokenizer.json, safetensors
/// headers and checkpoint indexes. `null` reads as absent in `optional`,
/// which is how transformers and PEFT treat it (`head_dim: null`).
public struct JSONNode: Sendable {
    public let value: JSONValue
    /// Dotted path with `[i]` for array elements; "" for the document root.
    public let path: String

    public init(_ value: JSONValue, path: String = "") {
        self.value = value
        self.path = path
    }

    /// The path of member `key` below this node.
    public func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Member `key`, or nil when it is absent or null.
    public func optional(_ key: String) -> JSONNode? {
        guard let v = value[key], !v.isNull else { return nil }
        return JSONNode(v, path: path(of: key))
    }

    /// Member `key`; absent or null is an error naming it.
    public func required(_ key: String) throws(JSONAccessError) -> JSONNode {
        guard let node = optional(key) else {
            throw JSONAccessError(path: path(of: key), expected: "present", found: value[key] == nil ? "nothing" : "null")
        }
        return node
    }

    /// An error about this node: it should have been `expected`.
    public func mismatch(_ expected: String) -> JSONAccessError {
        JSONAccessError(path: path, expected: expected, found: value.brief)
    }

    public func string() throws(JSONAccessError) -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    public func bool() throws(JSONAccessError) -> Bool {
        guard case .bool(let b) = value else { throw mismatch("true or false") }
        return b
    }

    /// An integer within `range`. A float with an integral value (`8.0`, as
    /// Python's json writes some ints) counts; a fraction, a boolean or a
    /// number outside `range` — including one too large for any integer
    /// type — is an error that names the range.
    public func int(in range: ClosedRange<Int> = Int.min...Int.max) throws(JSONAccessError) -> Int {
        let outOfRange = "an integer in \(range.lowerBound)...\(range.upperBound)"
        switch value {
        case .integer(let i):
            guard range.contains(i) else { throw mismatch(outOfRange) }
            return i
        case .float(let d) where d.isFinite && d == d.rounded():
            // Integral but not representable as `.integer`, or written as 8.0.
            guard let i = Int(exactly: d), range.contains(i) else { throw mismatch(outOfRange) }
            return i
        case .float(let d) where d.isInfinite:
            // Parsed past Double's range (1e999, a 400-digit integer).
            throw JSONAccessError(path: path, expected: outOfRange, found: "a number beyond any integer type")
        default:
            throw mismatch("an integer")
        }
    }

    /// A finite number (an integer reads as its `Double`) within `range`.
    public func double(in range: ClosedRange<Double>? = nil) throws(JSONAccessError) -> Double {
        let expected = range.map { "a number in \($0.lowerBound)...\($0.upperBound)" } ?? "a finite number"
        guard let d = value.doubleValue else { throw mismatch(expected) }
        guard d.isFinite else { throw JSONAccessError(path: path, expected: expected, found: "a number beyond Double's range") }
        if let range, !range.contains(d) { throw mismatch(expected) }
        return d
    }

    /// The elements, each with its indexed path.
    public func array() throws(JSONAccessError) -> [JSONNode] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { JSONNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    /// The members in document order, each with its path.
    public func members() throws(JSONAccessError) -> [(key: String, node: JSONNode)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return members.map { (key: $0.key, node: JSONNode($0.value, path: path(of: $0.key))) }
    }

    /// Optional typed members (absent or null → `nil` or the default).
    public func string(_ key: String) throws(JSONAccessError) -> String? { try optional(key)?.string() }
    public func bool(_ key: String) throws(JSONAccessError) -> Bool? { try optional(key)?.bool() }
    public func int(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(JSONAccessError) -> Int? {
        try optional(key)?.int(in: range)
    }
    public func double(_ key: String, in range: ClosedRange<Double>? = nil) throws(JSONAccessError) -> Double? {
        try optional(key)?.double(in: range)
    }
    public func string(_ key: String, default d: String) throws(JSONAccessError) -> String { try string(key) ?? d }
    public func bool(_ key: String, default d: Bool) throws(JSONAccessError) -> Bool { try bool(key) ?? d }
    public func int(_ key: String, default d: Int) throws(JSONAccessError) -> Int { try int(key) ?? d }
}
