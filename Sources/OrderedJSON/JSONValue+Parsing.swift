import Foundation

extension JSONValue {
    /// Parses one JSON document (RFC 8259) from UTF-8 bytes. A leading UTF-8
    /// byte-order mark is tolerated; anything but whitespace after the value
    /// is refused.
    /// - Throws: `JSONParseError` with the byte offset and what was expected.
    public static func parse(_ data: Data, options: JSONParseOptions = JSONParseOptions()) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: [UInt8](data), options: options)
        return try parser.parseDocument()
    }

    /// Parses one JSON document from UTF-8 bytes; see `parse(_:options:)`.
    public static func parse(_ bytes: [UInt8], options: JSONParseOptions = JSONParseOptions()) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, options: options)
        return try parser.parseDocument()
    }
}
