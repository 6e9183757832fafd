import Dispatch
import Foundation
import Glibc

/// An HTTP/1.1 server over POSIX sockets and Dispatch.
///
/// ```swift
/// let server = HTTPServer(limits: HTTPLimits())
/// server.route(.GET, "/adapters/:name") { request, response in
///     try await response.sendJSON(.ok, ["name": request.parameter("name") ?? ""])
/// }
/// let bound = try server.listen("127.0.0.1:8080")   // port 0 picks a free port
/// …
/// await server.shutdown(gracePeriod: .seconds(10))  // on SIGTERM
/// ```
///
/// Threading contract — **handlers must not block.** Each connection has its
/// own serial Dispatch queue, and every connection queue targets one of a few
/// serial *event-loop* queues (`HTTPLimits.eventLoopCount`, one per CPU by
/// default; NIO's event-loop design). Each loop watches its sockets' input
/// through one edge-triggered epoll set (`EventLoop`), so a busy loop picks up
/// many connections' requests per thread wake-up and never re-arms a socket
/// (libdispatch on Linux hands every per-socket source event to a worker and
/// re-arms it through its manager thread: several context switches per
/// keep-alive request). A connection's handler runs on its loop too, as a
/// Swift task whose executor is the connection queue — not Swift's
/// cooperative pool — and its response is written inline. So the request is
/// handled on the thread that read it.
///
/// The price: a handler that *blocks* its thread (SQLite, a tensor merge, a
/// semaphore, a long lock) stalls every connection on its loop, including
/// their timeouts. Such work must hop off and be awaited, e.g.
///
/// ```swift
/// let rows = try await withCheckedThrowingContinuation { c in
///     DispatchQueue.global().async { c.resume(with: Result { try db.query() }) }
/// }
/// ```
///
/// (the daemon's `BlockingWork`). Awaiting is always fine: the loop serves
/// other connections while the handler is suspended.
public final class HTTPServer: Sendable {
    public let limits: HTTPLimits
    private let context: ServerContext
    private let table: ConnectionTable
    /// Serial queues every connection queue targets (see the type's comment).
    private let eventLoops: [EventLoop]

    /// - Parameters:
    ///   - serverName: the `Server` header value.
    ///   - errorRenderer: the body of every error response the server itself
    ///     produces (404, 405, 413, 400, 408, 500, …) and of thrown `HTTPError`s.
    ///   - onServerAnswer: told of each response the server gives by itself,
    ///     no route's handler involved (`ServerAnswer`); called on the
    ///     connection's queue, so it must not block.
    public init(limits: HTTPLimits = HTTPLimits(), serverName: String = "lorad",
                errorRenderer: @escaping HTTPErrorRenderer = plainTextErrorRenderer,
                onServerAnswer: (@Sendable (ServerAnswer) -> Void)? = nil)
    {
        HTTPServer.ignoreSIGPIPE
        let table = ConnectionTable()
        self.limits = limits
        self.table = table
        eventLoops = (0..<max(1, limits.eventLoopCount)).map { EventLoop(index: $0) }
        context = ServerContext(limits: limits, serverName: serverName, errorRenderer: errorRenderer,
                                onServerAnswer: onServerAnswer, onClose: { id in table.remove(id) })
    }

    /// Writes to a vanished peer must be errors, not a process-killing signal.
    /// We also pass MSG_NOSIGNAL on every send; this covers anything else.
    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Adds a route. `pattern` segments starting with `:` are parameters, a
    /// final `*` matches the rest. `maxBodyBytes` overrides
    /// `limits.maxBodyBytes` for this route (uploads raise it).
    public func route(_ method: HTTPMethod, _ pattern: String, maxBodyBytes: Int? = nil, _ handler: @escaping HTTPHandler) {
        context.router.withLock { $0.add(method, pattern, maxBodyBytes: maxBodyBytes, handler) }
    }

    /// Starts listening on `address`; returns the bound address (with the
    /// real port when `address.port` is 0). May be called for several addresses.
    @discardableResult
    public func listen(on address: SocketAddress) throws(SocketError) -> SocketAddress {
        let context = self.context
        let table = self.table
        let loops = eventLoops
        let listener = try Listener(address: address, backlog: limits.listenBacklog) { socket, remote, listener in
            HTTPServer.accepted(socket, remote, listener: listener, context: context, table: table, loops: loops)
        }
        table.addListener(listener)
        return listener.address
    }

    /// `listen(on:)` for `127.0.0.1:8080`, `[::1]:0`, `0.0.0.0:80`.
    @discardableResult
    public func listen(_ address: String) throws -> SocketAddress {
        try listen(on: SocketAddress(parsing: address))
    }

    /// The addresses being listened on.
    public var addresses: [SocketAddress] { table.addresses }

    /// Open connections (idle keep-alive ones included).
    public var connectionCount: Int { table.connectionCount }

    /// Open connections that are idle: between requests, or not one byte sent yet.
    public var idleConnectionCount: Int { table.idleCount }

    private static func accepted(_ socket: Socket, _ remote: SocketAddress, listener: SocketAddress, context: ServerContext,
                                 table: ConnectionTable, loops: [EventLoop])
    {
        guard !context.isDraining, let (id, evict) = table.admit(limit: context.limits.maxConnections) else {
            return reject(socket, context: context)
        }
        if let evict { evict.queue.async { evict.evict() } }
        let connection = Connection(id: id, socket: socket, remote: remote, listener: listener, loop: loops[id % loops.count], context: context)
        table.insert(connection)
        connection.start()
    }

    /// Over the connection limit: answer 503 at once rather than leaving the
    /// client in the accept backlog with no explanation.
    private static func reject(_ socket: Socket, context: ServerContext) {
        let error = HTTPError(.serviceUnavailable, "too many connections", headers: ["Retry-After": "1"], type: "overloaded")
        let bytes = context.errorResponse(error, version: .http1_1, keepAlive: false)
        _ = try? bytes.withUnsafeBytes { try socket.send($0) }
        socket.shutdownWrite()
        _ = withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 16) { try? socket.read(into: $0) }
        socket.close()
    }

    /// Graceful shutdown: stop accepting (new connections are refused), close
    /// idle connections, let in-flight exchanges finish for up to
    /// `gracePeriod`, then cut whatever is left. Returns, once every
    /// connection is closed, how many exchanges the deadline cut short.
    @discardableResult
    public func shutdown(gracePeriod: Duration = .seconds(10)) async -> Int {
        context.startDraining()
        let listeners = table.takeListeners()
        let connections = table.connections
        for l in listeners { l.cancel() }
        for c in connections { c.queue.async { c.drain() } }
        let clock = ContinuousClock()
        let deadline = clock.now + gracePeriod
        while connectionCount > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let left = table.connections
        let cut = await withTaskGroup(of: Bool.self) { group in
            for c in left {
                group.addTask { await withCheckedContinuation { done in c.queue.async { done.resume(returning: c.cutAtShutdown()) } } }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let hardDeadline = clock.now + .seconds(2)
        while connectionCount > 0, clock.now < hardDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return cut
    }
}
