import Foundation
import Synchronization

/// How a handler answers: one complete response with `send`, or a streamed one
/// with `start` + `write`… + `finish` (chunked unless a length is given), or
/// Server-Sent Events with `startEventStream`.
///
/// Writes suspend while the client is slow to read (back-pressure) and throw
/// `HTTPConnectionError.clientDisconnected` once it has gone; `onCancel` and
/// `isCancelled` tell the handler as soon as the server notices.
public final class HTTPResponse: Sendable {
    let exchange: Exchange
    private enum Phase { case idle, streaming, finished }
    private let phase = Mutex(Phase.idle)

    init(exchange: Exchange) { self.exchange = exchange }

    /// True once the client has disconnected (or the server cut the exchange).
    public var isCancelled: Bool { exchange.isCancelled }

    /// Why the exchange was cut, once it was: `.clientDisconnected`, or
    /// `.serverShutdown` when a graceful shutdown's grace period ran out
    /// first. Whatever a handler then throws, this tells the two apart.
    public var cancellationReason: HTTPConnectionError? { exchange.cancellationReason }

    /// Registers `handler` to run when the client disconnects (at once if it has).
    /// Use it to cancel inference early.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) { exchange.onCancel(handler) }

    /// True once a response has been started or sent.
    public var isStarted: Bool { phase.withLock { $0 != .idle } }

    /// True once the response has been sent completely.
    var isFinished: Bool { phase.withLock { $0 == .finished } }

    private func transition(from: Phase, to: Phase, _ what: String) throws {
        try phase.withLock { p in
            guard p == from else { throw HTTPConnectionError.responseMisuse(what) }
            p = to
        }
    }

    /// Sends a complete response. Content-Length, Date, Server and Connection
    /// are set by the server; HEAD requests get the headers only.
    public func send(_ status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) async throws {
        try transition(from: .idle, to: .finished, "send after the response was started")
        if exchange.isCancelled { throw HTTPConnectionError.clientDisconnected }
        let ex = exchange
        // Inline on the connection's queue, where the handler normally runs:
        // the response leaves without a thread hop.
        try ex.connection.perform { try ex.start(status, headers: headers, body: .complete(body)) }
    }

    public func send(_ status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), text: String) async throws {
        var h = headers
        if h["Content-Type"] == nil { h["Content-Type"] = "text/plain; charset=utf-8" }
        try await send(status, headers: h, body: Array(text.utf8))
    }

    public func send(_ status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), data: Data) async throws {
        try await send(status, headers: headers, body: [UInt8](data))
    }

    /// Starts a streamed response: chunked when `contentLength` is nil (or a
    /// close-delimited body for an HTTP/1.0 client).
    public func start(_ status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), contentLength: Int? = nil) async throws {
        try transition(from: .idle, to: .streaming, "start after the response was started")
        let ex = exchange
        try ex.connection.perform { try ex.start(status, headers: headers, body: .stream(contentLength: contentLength)) }
    }

    /// Sends a piece of a streamed response now (one chunk on the wire).
    /// Suspends while too much is queued for a slow client.
    public func write(_ bytes: [UInt8]) async throws {
        guard phase.withLock({ $0 == .streaming }) else {
            throw HTTPConnectionError.responseMisuse("write before start or after finish")
        }
        let ex = exchange
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            ex.connection.perform { ex.write(bytes, waiter: c) }
        }
    }

    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }
    public func write(_ data: Data) async throws { try await write([UInt8](data)) }

    /// Ends a streamed response (the last chunk, with optional trailers).
    public func finish(trailers: HTTPHeaders = HTTPHeaders()) async throws {
        try transition(from: .streaming, to: .finished, "finish without start, or twice")
        let ex = exchange
        try ex.connection.perform { try ex.finish(trailers: trailers) }
    }
}
