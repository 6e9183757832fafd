import Foundation

extension HTTPResponse {
    /// Encodes `value` as JSON and sends it with `Content-Type: application/json`.
    public func sendJSON<T: Encodable>(_ status: HTTPStatus = .ok, _ value: T, headers: HTTPHeaders = HTTPHeaders(),
                                       encoder: JSONEncoder = JSONEncoder()) async throws
    {
        let data = try encoder.encode(value)
        var h = headers
        h["Content-Type"] = "application/json"
        try await send(status, headers: h, data: data)
    }
}
