import Foundation
import HTTP1
import OrderedJSON

/// One JSON style for every API body: compact, `/` unescaped, keys in a
/// stable order so bodies are diffable.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }
}

extension HTTPResponse {
    /// `sendJSON` with the API's encoder.
    func sendAPI<T: Encodable>(_ status: HTTPStatus = .ok, _ value: T, headers: HTTPHeaders = HTTPHeaders()) async throws {
        try await sendJSON(status, value, headers: headers, encoder: JSONOutput.encoder())
    }
}

extension HTTPResponse {
    /// An ordered JSON document (members in the order built) as the body.
    func sendJSON(_ status: HTTPStatus = .ok, _ value: JSONValue) async throws {
        try await send(status, headers: ["Content-Type": "application/json"], text: value.serialized())
    }
}
