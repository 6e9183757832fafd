import Synchronization

/// What every connection of one server shares: limits, routes, rendering,
/// and the connection-table callback. Immutable apart from its synchronised parts.
final class ServerContext: Sendable {
    let limits: HTTPLimits
    let serverName: String
    let router = Mutex(Router())
    let errorRenderer: HTTPErrorRenderer
    private let draining = Atomic(false)
    let onClose: @Sendable (Int) -> Void
    /// Hears of every response the server gives by itself (`ServerAnswer`).
    let onServerAnswer: (@Sendable (ServerAnswer) -> Void)?

    init(limits: HTTPLimits, serverName: String, errorRenderer: @escaping HTTPErrorRenderer,
         onServerAnswer: (@Sendable (ServerAnswer) -> Void)? = nil, onClose: @escaping @Sendable (Int) -> Void)
    {
        self.limits = limits
        self.serverName = serverName
        self.errorRenderer = errorRenderer
        self.onServerAnswer = onServerAnswer
        self.onClose = onClose
    }

    /// Set once, at the start of a graceful shutdown.
    var isDraining: Bool { draining.load(ordering: .acquiring) }
    func startDraining() { draining.store(true, ordering: .releasing) }

    /// A complete error response with `Connection: close` when `close` is set.
    func errorResponse(_ error: HTTPError, version: HTTPVersion, keepAlive: Bool, isHEAD: Bool = false) -> [UInt8] {
        let rendered = errorRenderer(error)
        var headers = error.headers
        headers["Content-Type"] = rendered.contentType
        let framing: ResponseFraming = isHEAD ? .none : .contentLength(rendered.body.count)
        var bytes = ResponseHead.encode(
            status: error.status, headers: headers, framing: framing, declaredLength: rendered.body.count,
            keepAlive: keepAlive, requestVersion: version, serverName: serverName)
        if !isHEAD { bytes += rendered.body }
        return bytes
    }
}

/// Turns an error into a response body. The default is one line of plain
/// text; the daemon installs one producing its JSON error object.
public typealias HTTPErrorRenderer = @Sendable (HTTPError) -> (contentType: String, body: [UInt8])

/// The default renderer: `text/plain`, the message and a newline.
public let plainTextErrorRenderer: HTTPErrorRenderer = { error in
    ("text/plain; charset=utf-8", Array((error.message + "\n").utf8))
}
