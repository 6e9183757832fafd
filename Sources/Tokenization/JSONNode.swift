import Foundation
import OrderedJSON

/// A JSON node together with its path from the document root, so every
/// accessor can report exactly which field was wrong.
struct JSONNode {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    /// The root of the document in `data`; `file` names the source in the error.
    ///
    /// Objects keep their members in order with byte-exact keys (see
    /// `JSONValue`): a Swift dictionary would merge vocabulary entries such
    /// as "Å" (U+00C5) and "Å" (U+212B ANGSTROM SIGN). Lone surrogate escapes
    /// are refused, as serde_json (hence `tokenizers`) refuses them.
    static func document(_ data: Data, file: String) throws -> JSONNode {
        do {
            return JSONNode(try JSONValue.parse(data, options: JSONParseOptions(maxDepth: 512, loneSurrogates: .reject)), path: "")
        } catch {
            throw TokenizerError.invalidJSON(file: file, reason: error.description)
        }
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

    func object() throws -> JSONValue.Members {
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
