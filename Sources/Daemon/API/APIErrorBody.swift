import Foundation
import HTTP1

/// `{"error": {"message": "...", "type": "...", "code": N, "param": null}}`:
/// the shape OpenAI clients parse (with vLLM's integer code), for every
/// error lorad answers, streamed error events included.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        /// The HTTP status, as vLLM sends it (OpenAI's own codes are strings).
        public var code: Int
        /// The request field at fault, when known. Always present, null when
        /// not: OpenAI's error object requires the key, and vLLM sends it.
        public var param: String?

        public init(message: String, type: String, code: Int, param: String? = nil) {
            self.message = message
            self.type = type
            self.code = code
            self.param = param
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(code, forKey: .code)
            try c.encode(param, forKey: .param)   // null, not absent
        }
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
            return #"{"error":{"code":500,"message":"unencodable error","param":null,"type":"internal_error"}}"#
        }
        return text
    }
}
