import Foundation

extension HTTPRequest {
    /// Decodes the body as JSON. A body that is not valid JSON, or not the
    /// expected shape, is a 400 naming what was wrong (key path included).
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONDecoder()) async throws -> T {
        let data = try await bodyData()
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, "invalid JSON body: \(Self.describe(error))", type: "invalid_request_error")
        } catch {
            throw HTTPError(.badRequest, "invalid JSON body: \(error.localizedDescription)", type: "invalid_request_error")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "top level" : "`" + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "`"
        }
        switch error {
        case .dataCorrupted(let c):
            if let underlying = c.underlyingError as NSError? {
                return "not JSON (\(underlying.userInfo[NSDebugDescriptionErrorKey] ?? underlying.localizedDescription))"
            }
            return "\(c.debugDescription) at \(path(c.codingPath))"
        case .keyNotFound(let key, let c):
            return "missing key `\(key.stringValue)` at \(path(c.codingPath))"
        case .typeMismatch(let type, let c):
            return "expected \(type) at \(path(c.codingPath))"
        case .valueNotFound(let type, let c):
            return "null where \(type) is required at \(path(c.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }
}
