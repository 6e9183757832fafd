import Foundation

/// A parsed JSON value. tokenizer.json is heterogeneous (components are
/// tagged by `type`), so it is parsed into this tree and then read with
/// path-aware accessors that produce `TokenizerError.invalidField`.
///
/// Objects keep their members as an ordered list with byte-exact keys:
/// Foundation's decoders build Swift dictionaries, whose keys compare by
/// canonical equivalence and would merge vocabulary entries such as "Å"
/// (U+00C5) and "Å" (U+212B ANGSTROM SIGN).
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Parses `data`; `file` names the source in the error.
    static func parse(_ data: Data, file: String) throws -> JSONValue {
        do {
            var parser = JSONParser(bytes: [UInt8](data))
            return try parser.parseDocument()
        } catch let error as JSONParser.Failure {
            throw TokenizerError.invalidJSON(file: file, reason: "\(error.message) at byte \(error.offset)")
        }
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The member named `key` (the last one, if repeated — serde's behaviour).
    subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    var boolValue: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    var numberValue: Double? { if case let .number(d) = self { return d } else { return nil } }
    var arrayValue: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
    var objectValue: [(key: String, value: JSONValue)]? { if case let .object(o) = self { return o } else { return nil } }
    var intValue: Int? {
        if case let .number(d) = self, d == d.rounded(), abs(d) < 9e15 { return Int(d) } else { return nil }
    }
}

/// A JSON node together with its path from the document root, so every
/// accessor can report exactly which field was wrong.
struct JSONNode {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    /// The child at `key`, or nil when absent or null.
    func optional(_ key: String) -> JSONNode? {
        guard let v = value[key], !v.isNull else { return nil }
        return JSONNode(v, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func required(_ key: String) throws -> JSONNode {
        guard let node = optional(key) else {
            throw TokenizerError.invalidField(path: path.isEmpty ? key : "\(path).\(key)", expected: "a value")
        }
        return node
    }

    func string() throws -> String {
        guard let s = value.stringValue else { throw TokenizerError.invalidField(path: path, expected: "a string") }
        return s
    }

    func int() throws -> Int {
        guard let i = value.intValue else { throw TokenizerError.invalidField(path: path, expected: "an integer") }
        return i
    }

    func bool() throws -> Bool {
        guard let b = value.boolValue else { throw TokenizerError.invalidField(path: path, expected: "a boolean") }
        return b
    }

    func array() throws -> [JSONNode] {
        guard let a = value.arrayValue else { throw TokenizerError.invalidField(path: path, expected: "an array") }
        return a.enumerated().map { JSONNode($0.element, path: "\(path)[\($0.offset)]") }
    }

    func object() throws -> [(key: String, value: JSONValue)] {
        guard let o = value.objectValue else { throw TokenizerError.invalidField(path: path, expected: "an object") }
        return o
    }

    /// Optional typed children with defaults (absent or null → default).
    func string(_ key: String, default d: String) throws -> String { try optional(key)?.string() ?? d }
    func bool(_ key: String, default d: Bool) throws -> Bool { try optional(key)?.bool() ?? d }
    func int(_ key: String, default d: Int) throws -> Int { try optional(key)?.int() ?? d }

    /// The component's `type` tag.
    func type() throws -> String { try required("type").string() }
}
