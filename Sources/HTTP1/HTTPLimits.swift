import Foundation

/// Every bound the server enforces, in one place, with the defaults an operator
/// of a small inference daemon would expect (nginx-like where nginx has an
/// equivalent directive, noted per field).
///
/// All sizes are bytes; all durations are wall-clock.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line (`GET /path?query HTTP/1.1`), CRLF excluded.
    /// Beyond it: 414 URI Too Long. Default 8 KiB (nginx `large_client_header_buffers`).
    public var maxRequestLineBytes: Int = 8 * 1024

    /// Total bytes of the header section (every field line after the request
    /// line, CRLFs included), and separately of a chunked body's trailer section.
    /// Beyond it: 431 Request Header Fields Too Large. Default 32 KiB.
    public var maxHeaderBytes: Int = 32 * 1024

    /// Most header field lines in one request (or trailer section). Beyond it: 431.
    /// Default 100 (the same as Go's and NIO's typical limits).
    public var maxHeaderCount: Int = 100

    /// Body bytes a route accepts unless it declares its own limit
    /// (`route(…, maxBodyBytes:)`). Beyond it: 413 Content Too Large.
    /// Default 1 MiB — JSON routes; upload routes raise it per route.
    public var maxBodyBytes: Int = 1 * 1024 * 1024

    /// Longest chunk-size line of a chunked body (size + extensions). Beyond it: 400.
    /// Default 4 KiB.
    public var maxChunkLineBytes: Int = 4 * 1024

    /// Time from the first byte of a request to the end of its header section
    /// — for a connection's first request, from the accept. A client slower
    /// than this (slowloris) gets 408 and the connection closes; a new
    /// connection that sends nothing at all is closed silently.
    /// Default 10 s (nginx `client_header_timeout` is 60 s; we are stricter).
    public var headerReadTimeout: Duration = .seconds(10)

    /// How long a keep-alive connection may sit with no request in progress
    /// before it is closed silently. Default 60 s (nginx `keepalive_timeout` 75 s).
    public var idleTimeout: Duration = .seconds(60)

    /// Longest pause while a handler waits for request body bytes. Beyond it
    /// the handler's read fails with 408 and the connection closes after the
    /// response. Default 60 s (nginx `client_body_timeout`).
    public var bodyReadTimeout: Duration = .seconds(60)

    /// Rate floor of a request body, in bytes per second: in total a handler
    /// may wait for body bytes one `bodyReadTimeout` plus one second per this
    /// many bytes received (`BodyPace`), so a body trickled a byte at a time
    /// gets 408 however short each pause. 0 turns the floor off.
    /// Default 1 KiB/s (Apache `RequestReadTimeout` uses 500 bytes/s).
    public var minBodyBytesPerSecond: Int = 1024

    /// Same as `bodyReadTimeout` for sends: a client that reads nothing for this
    /// long while we have bytes queued is disconnected. Default 60 s.
    public var writeTimeout: Duration = .seconds(60)

    /// Concurrent connections. At the limit a new connection makes room by
    /// closing the connection idle the longest (a keep-alive connection between
    /// requests, or one that has sent nothing yet; RFC 9112 §9.5 lets a server
    /// close idle connections at any time). When none is idle, the new one is
    /// **accepted and answered `503 Service Unavailable` with `Connection: close`**,
    /// then closed — so a client learns why instead of hanging in the kernel's
    /// accept backlog. Default 4096 (keep `ulimit -n` above it).
    public var maxConnections: Int = 4096

    /// Response bytes queued for one connection before `HTTPResponse.write`
    /// suspends the handler (back-pressure against a slow reader), and before
    /// the connection stops reading and answering pipelined requests; both go
    /// on once at most half of it is queued. Default 256 KiB.
    public var writeBufferHighWater: Int = 256 * 1024

    /// Request bytes buffered for one connection (unparsed input plus body bytes
    /// the handler has not consumed yet) before the server stops reading the
    /// socket, letting TCP flow control slow the client. Default 1 MiB.
    public var readBufferHighWater: Int = 1024 * 1024

    /// `listen(2)` backlog. Default 1024.
    public var listenBacklog: Int32 = 1024

    /// Serial event-loop queues the server's connections are spread over
    /// (connection `n` runs on loop `n % eventLoopCount`). Default: one per
    /// active CPU, as NIO's `MultiThreadedEventLoopGroup` and nginx's
    /// `worker_processes auto`. Values below 1 count as 1.
    ///
    /// Handlers run on their connection's loop, so **a handler must not block
    /// a thread** — it would stall every connection on its loop. Blocking work
    /// (SQLite, file I/O, waiting on a lock held for long) must hop to another
    /// queue and be awaited; see `HTTPServer`.
    public var eventLoopCount: Int = ProcessInfo.processInfo.activeProcessorCount

    public init() {}
}
