/// The response side of one exchange: turns a handler's `send`, or
/// `start` + `write`… + `finish`, into wire bytes, choosing the framing
/// (RFC 9112 §6) and holding the handler to what the head announced.
struct ResponseEncoder {  // lives in an `Exchange`, confined to the connection's queue
    enum Body {
        case complete([UInt8])
        case stream(contentLength: Int?)
    }

    private(set) var isStarted = false
    private(set) var isComplete = false
    private var framing: ResponseFraming = .none
    /// Bytes still owed under a Content-Length framing.
    private var remaining = 0

    /// Every byte of the response has been handed over: finished, or a
    /// Content-Length body written to its last byte, whose `finish` adds
    /// nothing to the wire. A chunked or close-delimited body still owes its
    /// end; a body-less one (HEAD) counts as unwritten so that its handler,
    /// possibly still producing a body nobody will see, is cancelled when
    /// the client goes.
    var isWhollyWritten: Bool {
        if isComplete { return true }
        guard isStarted, case .contentLength = framing else { return false }
        return remaining == 0
    }

    /// The head, and for a complete body the body too. `keepAlive` is what the
    /// head promises about the connection; a close-delimited body clears it.
    mutating func start(_ status: HTTPStatus, headers: HTTPHeaders, body: Body, request: HTTPRequestHead,
                        keepAlive: inout Bool, serverName: String) throws(HTTPConnectionError) -> [UInt8]
    {
        guard !isStarted else { throw .responseMisuse("the response was already started") }
        isStarted = true
        let bodyless = request.method == .HEAD || !status.allowsBody
        var declared: Int?
        switch body {
        case .complete(let bytes):
            declared = bytes.count
            framing = bodyless ? .none : .contentLength(bytes.count)
        case .stream(let length):
            declared = length
            if bodyless {
                framing = .none
            } else if let length {
                framing = .contentLength(length)
            } else if request.version == .http1_0 {
                framing = .untilClose
                keepAlive = false
            } else {
                framing = .chunked
            }
        }
        if case .contentLength(let n) = framing { remaining = n }
        var bytes = ResponseHead.encode(
            status: status, headers: headers, framing: framing, declaredLength: declared,
            keepAlive: keepAlive, requestVersion: request.version, serverName: serverName)
        if case .complete(let b) = body {
            if framing != .none { bytes += b }
            isComplete = true
        }
        return bytes
    }

    /// The wire form of one piece of a streamed body (empty when nothing goes out).
    mutating func body(_ bytes: [UInt8]) throws(HTTPConnectionError) -> [UInt8] {
        guard isStarted, !isComplete else { throw .responseMisuse("write before start or after finish") }
        switch framing {
        case .none:
            return []
        case .contentLength:
            guard bytes.count <= remaining else {
                throw .responseMisuse("writing \(bytes.count) bytes with only \(remaining) left of the declared Content-Length")
            }
            remaining -= bytes.count
            return bytes
        case .chunked:
            return bytes.isEmpty ? [] : ResponseHead.chunk(bytes)
        case .untilClose:
            return bytes
        }
    }

    /// The end of a streamed body. `mustClose`: only closing the connection
    /// can end it (close-delimited, or fewer bytes than the Content-Length
    /// promised — the client can only notice by our close).
    mutating func finish(trailers: HTTPHeaders) throws(HTTPConnectionError) -> (bytes: [UInt8], mustClose: Bool) {
        guard isStarted, !isComplete else { throw .responseMisuse("finish before start or twice") }
        isComplete = true
        switch framing {
        case .chunked: return (ResponseHead.lastChunk(trailers: trailers), false)
        case .contentLength: return ([], remaining > 0)
        case .untilClose: return ([], true)
        case .none: return ([], false)
        }
    }

    /// A complete response made elsewhere (the server's own error response) was sent.
    mutating func sentWhole() {
        isStarted = true
        isComplete = true
    }
}
