import Foundation

/// The request a handler receives: head, route parameters, and the body as a
/// stream of pieces (read lazily, so `Expect: 100-continue` is answered only
/// when the handler actually asks for the body).
public final class HTTPRequest: Sendable {
    let exchange: Exchange

    init(exchange: Exchange) { self.exchange = exchange }

    public var head: HTTPRequestHead { exchange.head }
    public var method: HTTPMethod { exchange.head.method }
    /// Percent-decoded path.
    public var path: String { exchange.head.path }
    public var headers: HTTPHeaders { exchange.head.headers }
    public var version: HTTPVersion { exchange.head.version }
    public var queryItems: [QueryItem] { exchange.head.queryItems }
    /// Values of the route's `:name` segments (decoded).
    public var parameters: [String: String] { exchange.parameters }
    public var remoteAddress: SocketAddress { exchange.connection.remote }
    /// The bound address of the listener this request's connection came in
    /// on (as `HTTPServer.listen` returned it), so a server can treat its
    /// listeners differently.
    public var listenerAddress: SocketAddress { exchange.connection.listener }

    /// The first value of query parameter `name`.
    public func query(_ name: String) -> String? { exchange.head.query(name) }

    /// The value of route parameter `name` (`/adapters/:name`).
    public func parameter(_ name: String) -> String? { exchange.parameters[name] }

    /// True once the client has disconnected (or the server cut the exchange).
    public var isCancelled: Bool { exchange.isCancelled }

    /// The next piece of the body, nil at its end. Throws `HTTPError` 413/400/408
    /// when the body is too large, malformed or stalls, and
    /// `HTTPConnectionError.clientDisconnected` when the client goes away.
    public func read() async throws -> [UInt8]? {
        let ex = exchange
        return try await withCheckedThrowingContinuation { c in
            ex.connection.perform { ex.read(c) }
        }
    }

    /// The whole body, buffered. The route's body limit bounds it; the buffer
    /// grows with the bytes received, never reserved from the announced
    /// Content-Length (which costs a client nothing to inflate).
    public func body() async throws -> [UInt8] {
        var all: [UInt8] = []
        while let piece = try await read() {
            if all.isEmpty { all = piece } else { all += piece }
        }
        return all
    }

    /// The whole body as `Data`.
    public func bodyData() async throws -> Data { Data(try await body()) }

    /// A chunked body's trailer fields; empty until the body has been read.
    public func trailers() async -> HTTPHeaders {
        let ex = exchange
        return ex.connection.perform { ex.trailers }
    }
}
