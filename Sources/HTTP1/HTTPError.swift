/// An error a handler throws to answer with a specific status. The server
/// renders it through `HTTPServer`'s error renderer (plain text by default,
/// JSON in the daemon) and keeps the connection if framing allows.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var message: String
    /// Extra response headers (`Allow`, `Retry-After`, …).
    public var headers: HTTPHeaders
    /// A machine-readable kind for error bodies (`invalid_json`, …); optional.
    public var type: String?

    public init(_ status: HTTPStatus, _ message: String, headers: HTTPHeaders = HTTPHeaders(), type: String? = nil) {
        self.status = status
        self.message = message
        self.headers = headers
        self.type = type
    }

    public var description: String { "\(status.code) \(status.reason): \(message)" }
}

/// Failures of the connection under a handler, as opposed to HTTP statuses.
public enum HTTPConnectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The client closed or reset the connection; stop producing output.
    case clientDisconnected
    /// The server is shutting down and cut the exchange at its deadline.
    case serverShutdown
    /// The handler used the response out of order (named in the message).
    case responseMisuse(String)

    public var description: String {
        switch self {
        case .clientDisconnected: "the client disconnected"
        case .serverShutdown: "the server is shutting down"
        case .responseMisuse(let what): "response misuse: \(what)"
        }
    }
}
