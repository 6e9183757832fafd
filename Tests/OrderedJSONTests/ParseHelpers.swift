import Foundation
import OrderedJSON

/// Parses `text` (as UTF-8) with `options`.
func parse(_ text: String, _ options: JSONParseOptions = JSONParseOptions()) throws(JSONParseError) -> JSONValue {
    try JSONValue.parse(Array(text.utf8), options: options)
}

/// The error `bytes` fail with, or nil when they parse.
func parseError(_ bytes: [UInt8], _ options: JSONParseOptions = JSONParseOptions()) -> JSONParseError? {
    do {
        _ = try JSONValue.parse(bytes, options: options)
        return nil
    } catch {
        return error
    }
}

func parseError(_ text: String, _ options: JSONParseOptions = JSONParseOptions()) -> JSONParseError? {
    parseError(Array(text.utf8), options)
}
