/// How a response body is delimited on the wire (RFC 9112 §6).
enum ResponseFraming: Equatable {
    /// No body bytes go out (HEAD, 204, 304): writes are dropped.
    case none
    case contentLength(Int)
    case chunked
    /// HTTP/1.0 streaming: the body ends when we close.
    case untilClose
}

/// Serializes a status line and header section.
enum ResponseHead {
    /// Headers the server owns; a handler's copies are dropped so framing
    /// cannot be contradicted.
    static func isReserved(_ name: String) -> Bool {
        name.equalsIgnoringASCIICase("content-length") || name.equalsIgnoringASCIICase("transfer-encoding")
            || name.equalsIgnoringASCIICase("connection") || name.equalsIgnoringASCIICase("date")
            || name.equalsIgnoringASCIICase("server") || name.equalsIgnoringASCIICase("keep-alive")
    }

    /// - Parameters:
    ///   - declaredLength: the Content-Length to advertise (also for HEAD, where
    ///     no body follows); nil with `framing == .chunked/.untilClose`.
    static func encode(
        status: HTTPStatus, headers: HTTPHeaders, framing: ResponseFraming, declaredLength: Int?,
        keepAlive: Bool, requestVersion: HTTPVersion, serverName: String
    ) -> [UInt8] {
        var s = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        s.reserveCapacity(256)
        s += "Server: \(serverName)\r\nDate: \(HTTPDate.now())\r\n"
        for field in headers where !isReserved(field.name) {
            s += field.name
            s += ": "
            s += sanitized(field.value)
            s += "\r\n"
        }
        switch framing {
        case .chunked:
            s += "Transfer-Encoding: chunked\r\n"
        case .contentLength(let n):
            s += "Content-Length: \(n)\r\n"
        case .none:
            if let declaredLength, status.allowsBody { s += "Content-Length: \(declaredLength)\r\n" }
        case .untilClose:
            break
        }
        if !keepAlive {
            s += "Connection: close\r\n"
        } else if requestVersion == .http1_0 {
            s += "Connection: keep-alive\r\n"
        }
        s += "\r\n"
        return Array(s.utf8)
    }

    /// A handler must not be able to inject header lines through a value.
    static func sanitized(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return value }
        return String(value.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\0" ? " " : Character($0) })
    }

    static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// `size-in-hex CRLF data CRLF` (RFC 9112 §7.1).
    static func chunk<C: Collection>(_ data: C) -> [UInt8] where C.Element == UInt8 {
        var out = Array(String(data.count, radix: 16).utf8)
        out.reserveCapacity(out.count + data.count + 4)
        out += [0x0D, 0x0A]
        out += data
        out += [0x0D, 0x0A]
        return out
    }

    static func lastChunk(trailers: HTTPHeaders) -> [UInt8] {
        var s = "0\r\n"
        for f in trailers where !isReserved(f.name) { s += "\(f.name): \(sanitized(f.value))\r\n" }
        s += "\r\n"
        return Array(s.utf8)
    }
}
