/// How a request's body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Hashable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request line and header section.
public struct HTTPRequestHead: Hashable, Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent (`/a%20b?x=1`).
    public var target: String
    /// Percent-decoded path (`/a b`). `*` for `OPTIONS *`.
    public var path: String
    /// Path segments split on `/` *before* percent-decoding, then decoded, so an
    /// encoded `%2F` stays inside its segment. Empty segments are dropped.
    public var pathSegments: [String]
    /// The raw query string after `?`, not decoded; nil when absent.
    public var rawQuery: String?
    /// Decoded `name=value` pairs of the query, in order, `+` read as space
    /// (the HTML form convention every client uses for query strings).
    public var queryItems: [QueryItem]
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: HTTPBodyFraming
    /// Whether the connection may stay open after this exchange (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1 says to
    /// ignore it from HTTP/1.0 clients).
    public var expectsContinue: Bool

    /// The first value of query parameter `name`, decoded.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}

/// One decoded `name=value` pair of a query string.
public struct QueryItem: Hashable, Sendable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
