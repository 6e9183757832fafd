/// A `multipart/form-data` body that cannot be read, with the status to answer.
public struct MultipartError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var message: String
    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { "\(status.code): \(message)" }

    static func bad(_ message: String) -> MultipartError { MultipartError(.badRequest, message) }

    var httpError: HTTPError { HTTPError(status, message, type: "invalid_request_error") }
}
