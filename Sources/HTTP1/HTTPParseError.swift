/// Why a request could not be parsed, with the status the server answers.
///
/// Every parse error closes the connection after the answer (RFC 9112 §2.2:
/// framing can no longer be trusted once a message is malformed).
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case badRequestLine, badMethod, badTarget, unsupportedVersion
        case requestLineTooLong, headersTooLarge, tooManyHeaders
        case badHeader, obsoleteLineFolding, missingHost, duplicateHost
        case badContentLength, conflictingFraming, unsupportedTransferEncoding
        case badChunk, chunkLineTooLong, bodyTooLarge, unsupportedExpectation
    }

    public var kind: Kind
    /// The status the server answers with.
    public var status: HTTPStatus
    /// A human-readable explanation naming the offending piece.
    public var message: String

    public init(_ kind: Kind, _ status: HTTPStatus, _ message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(kind.rawValue): \(message)" }

    static func bad(_ kind: Kind, _ message: String) -> HTTPParseError {
        HTTPParseError(kind, .badRequest, message)
    }
}
