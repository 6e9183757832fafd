import Foundation
import OrderedJSON

extension JSONNode {
    /// The root of the document in `data`; `file` names the source in the error.
    ///
    /// Objects keep their members in order with byte-exact keys (see
    /// `JSONValue`): a Swift dictionary would merge vocabulary entries such
    /// as "Å" (U+00C5) and "Å" (U+212B ANGSTROM SIGN). Lone surrogate escapes
    /// are refused, as serde_json (hence `tokenizers`) refuses them.
    static func document(_ data: Data, file: String) throws -> JSONNode {
        do {
            return JSONNode(try JSONValue.parse(data, options: JSONParseOptions(maxDepth: 512, loneSurrogates: .reject)))
        } catch {
            throw TokenizerError.invalidJSON(file: file, reason: error.description)
        }
    }

    /// The component's `type` tag.
    func type() throws -> String { try required("type").string() }
}

extension TokenizerError {
    /// A field of the right JSON document with the wrong type or range.
    init(_ error: JSONAccessError) {
        self = .invalidField(path: error.path, expected: error.expected == "present" ? "a value" : error.expected)
    }
}
