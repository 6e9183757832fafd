/// What every connection of one server shares: limits, routes, rendering,
/// and the registry callbacks. Immutable apart from its locked parts.
final class ServerContext: Sendable {
    let limits: HTTPLimits
    let serverName: String
    let router: Locked<Router>
    let errorRenderer: HTTPErrorRenderer
    let draining = Locked(false)
    let onClose: @Sendable (Int) -> Void

    init(limits: HTTPLimits, serverName: String, router: Locked<Router>,
         errorRenderer: @escaping HTTPErrorRenderer, onClose: @escaping @Sendable (Int) -> Void)
    {
        self.limits = limits
        self.serverName = serverName
        self.router = router
        self.errorRenderer = errorRenderer
        self.onClose = onClose
    }

    var isDraining: Bool { draining.withLock { $0 } }

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
