import Foundation
import HTTP1

/// `{"error": {"message": "...", "type": "...", "code": N}}`: the shape
/// OpenAI clients parse, for every error lorad answers.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var code: Int
    }

    public var error: Detail

    public init(_ error: HTTPError) {
        self.error = Detail(message: error.message, type: APIErrorBody.normalizedType(error.type) ?? APIErrorBody.defaultType(error.status.code),
                            code: error.status.code)
    }

    /// The HTTP layer's own names, spelled like ours.
    static func normalizedType(_ type: String?) -> String? {
        type == "not_found" ? "not_found_error" : type
    }

    /// A type for errors the HTTP layer raised without one.
    static func defaultType(_ code: Int) -> String {
        switch code {
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 500...: return "internal_error"
        default: return "invalid_request_error"
        }
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else {
            return #"{"error":{"code":500,"message":"unencodable error","type":"internal_error"}}"#
        }
        return text
    }
}
