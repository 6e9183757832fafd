/// A Server-Sent Events stream (WHATWG HTML §9.2): `text/event-stream`,
/// one chunk — flushed at once — per event.
public struct ServerSentEvents: Sendable {
    public let response: HTTPResponse

    /// Sends one event. Multi-line `data` becomes several `data:` lines, as the
    /// format requires; the blank line ends the event.
    public func send(data: String, event: String? = nil, id: String? = nil) async throws {
        var s = ""
        if let event { s += "event: \(Self.oneLine(event))\n" }
        if let id { s += "id: \(Self.oneLine(id))\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            s += "data: \(line.hasSuffix("\r") ? String(line.dropLast()) : String(line))\n"
        }
        s += "\n"
        try await response.write(s)
    }

    /// A comment line (`: text`), e.g. a keep-alive ping that clients ignore.
    public func comment(_ text: String) async throws {
        try await response.write(": \(Self.oneLine(text))\n\n")
    }

    public func finish() async throws { try await response.finish() }

    private static func oneLine(_ s: String) -> String {
        String(s.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}

extension HTTPResponse {
    /// Starts a `text/event-stream` response (no caching, no proxy buffering).
    public func startEventStream(_ status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders()) async throws -> ServerSentEvents {
        var h = headers
        h["Content-Type"] = "text/event-stream"
        if h["Cache-Control"] == nil { h["Cache-Control"] = "no-cache" }
        if h["X-Accel-Buffering"] == nil { h["X-Accel-Buffering"] = "no" }
        try await start(status, headers: h)
        return ServerSentEvents(response: self)
    }
}
