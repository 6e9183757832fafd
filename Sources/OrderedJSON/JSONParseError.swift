/// Why a document is not (acceptable) JSON: the byte offset where parsing
/// stopped and what the grammar expected there.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the input (0-based, counting a UTF-8 BOM if present).
    public let offset: Int
    /// What was expected at `offset`, e.g. "',' or '}'" or "a value".
    public let expected: String
    /// What was found instead, e.g. "'x'", "byte 0xFF" or "end of input".
    public let found: String
    /// The repeated key, when the document was refused for a duplicate key
    /// (`JSONParseOptions.rejectDuplicateKeys`).
    public let duplicateKey: String?

    public init(offset: Int, expected: String, found: String, duplicateKey: String? = nil) {
        self.offset = offset
        self.expected = expected
        self.found = found
        self.duplicateKey = duplicateKey
    }

    public var description: String { "expected \(expected) but found \(found) at byte \(offset)" }
}
