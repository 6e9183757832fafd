/// What `HTTPRequestDecoder.next()` produces, in order: one `head`, zero or more
/// `body` pieces, one `end` — for every request, bodiless ones included.
public enum HTTPRequestDecoderEvent: Equatable, Sendable {
    case head(HTTPRequestHead)
    case body([UInt8])
    /// The message is complete; `trailers` holds a chunked body's trailer fields.
    case end(trailers: HTTPHeaders)
}
