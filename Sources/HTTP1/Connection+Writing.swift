import Dispatch

/// Output: queued bytes, partial sends, the write source, back-pressure.
extension Connection {
    /// Queues `bytes` and sends as much as the socket takes now.
    func enqueue(_ bytes: [UInt8]) {
        guard state == .open || state == .closing, !bytes.isEmpty else { return }
        if pendingOut == 0 {
            let sent: Int
            do {
                sent = try bytes.withUnsafeBytes { try socket.send($0) }
            } catch {
                return abort(.clientDisconnected)
            }
            if sent == bytes.count { return }
            out.removeAll(keepingCapacity: true)
            outStart = 0
            out.append(contentsOf: bytes[sent...])
            lastWriteProgress = Self.now()
            armWrite()
            updateTimer()
        } else {
            out.append(contentsOf: bytes)
        }
    }

    /// Write source handler: the socket can take more.
    func flush() {
        guard state == .open || state == .closing else { return disarmWrite() }
        while pendingOut > 0 {
            let sent: Int
            do {
                sent = try out.withUnsafeBytes { p in
                    try socket.send(UnsafeRawBufferPointer(rebasing: p[outStart...]))
                }
            } catch {
                return abort(.clientDisconnected)
            }
            if sent == 0 { break }
            outStart += sent
            lastWriteProgress = Self.now()
        }
        if pendingOut == 0 {
            // Keep a small buffer for the next response; give big ones back so
            // an idle connection never pins a past download's memory.
            if out.capacity > 64 * 1024 { out = [] } else { out.removeAll(keepingCapacity: true) }
            outStart = 0
            disarmWrite()
        } else if outStart >= 1 << 20 {
            out.removeSubrange(0..<outStart)
            outStart = 0
        }
        if pendingOut <= limits.writeBufferHighWater / 2, let waiter = writeWaiter {
            writeWaiter = nil
            waiter.resume()
        }
        if pendingOut == 0, state == .closing { startLinger() }
    }

    func armWrite() {
        guard let ws = writeSource else { return }
        switch writeSourceState {
        case .inactive: ws.activate()
        case .suspended: ws.resume()
        case .running: return
        }
        writeSourceState = .running
    }

    func disarmWrite() {
        guard writeSourceState == .running, let ws = writeSource else { return }
        ws.suspend()
        writeSourceState = .suspended
    }

    // MARK: operations requested by HTTPResponse (all on `queue`)

    enum ResponseBody {
        case complete([UInt8])
        case stream(contentLength: Int?)
    }

    /// Starts (and for `.complete`, finishes) the response of `ex`.
    func startResponse(_ ex: Exchange, status: HTTPStatus, headers: HTTPHeaders, body: ResponseBody) throws(HTTPConnectionError) {
        guard state == .open, exchange === ex, !ex.isCancelled else { throw .clientDisconnected }
        guard !ex.responseStarted else { throw .responseMisuse("the response was already started") }
        ex.responseStarted = true
        let isHEAD = ex.head.method == .HEAD
        // A body the client was told to hold back (100-continue not sent) or
        // that nobody read cannot be skipped safely: close after answering.
        if !ex.requestComplete && !ex.bodyRequested { ex.keepAlive = false }
        if context.isDraining || mustClose { ex.keepAlive = false }
        var framing: ResponseFraming
        var declared: Int?
        switch body {
        case .complete(let bytes):
            declared = bytes.count
            framing = isHEAD || !status.allowsBody ? .none : .contentLength(bytes.count)
        case .stream(let length):
            declared = length
            if isHEAD || !status.allowsBody {
                framing = .none
            } else if let length {
                framing = .contentLength(length)
            } else if ex.head.version == .http1_0 {
                framing = .untilClose
                ex.keepAlive = false
            } else {
                framing = .chunked
            }
        }
        ex.framing = framing
        if case .contentLength(let n) = framing { ex.remainingLength = n }
        var bytes = ResponseHead.encode(
            status: status, headers: headers, framing: framing, declaredLength: declared,
            keepAlive: ex.keepAlive, requestVersion: ex.head.version, serverName: context.serverName)
        if case .complete(let b) = body {
            if framing != .none { bytes += b }
            enqueue(bytes)
            completeResponse(ex)
        } else {
            enqueue(bytes)
        }
    }

    /// Queues body bytes of a streamed response; suspends the caller (through
    /// `waiter`) while more than the high-water mark is queued.
    func writeBody(_ ex: Exchange, _ bytes: [UInt8], waiter: CheckedContinuation<Void, any Error>) {
        guard state == .open, exchange === ex, !ex.isCancelled else {
            return waiter.resume(throwing: HTTPConnectionError.clientDisconnected)
        }
        guard ex.responseStarted, !ex.responseComplete else {
            return waiter.resume(throwing: HTTPConnectionError.responseMisuse("write before start or after finish"))
        }
        switch ex.framing {
        case .none:
            break
        case .contentLength(_):
            guard bytes.count <= ex.remainingLength else {
                return waiter.resume(throwing: HTTPConnectionError.responseMisuse(
                    "writing \(bytes.count) bytes with only \(ex.remainingLength) left of the declared Content-Length"))
            }
            ex.remainingLength -= bytes.count
            enqueue(bytes)
        case .chunked:
            if !bytes.isEmpty { enqueue(ResponseHead.chunk(bytes)) }
        case .untilClose:
            enqueue(bytes)
        }
        guard state == .open else { return waiter.resume(throwing: HTTPConnectionError.clientDisconnected) }
        if pendingOut > limits.writeBufferHighWater {
            writeWaiter = waiter
            updateTimer()
        } else {
            waiter.resume()
        }
    }

    func finishResponse(_ ex: Exchange, trailers: HTTPHeaders) throws(HTTPConnectionError) {
        guard state == .open, exchange === ex else { throw .clientDisconnected }
        guard ex.responseStarted, !ex.responseComplete else { throw .responseMisuse("finish before start or twice") }
        switch ex.framing {
        case .chunked:
            enqueue(ResponseHead.lastChunk(trailers: trailers))
        case .contentLength(_):
            // Fewer bytes than promised: the client can only notice by our close.
            if ex.remainingLength > 0 { mustClose = true }
        case .untilClose:
            mustClose = true
        case .none:
            break
        }
        completeResponse(ex)
    }

    func completeResponse(_ ex: Exchange) {
        ex.responseComplete = true
        if state == .open { finishExchange(ex) }
    }

    /// The handler's task ended; make sure the client got a complete answer.
    func handlerReturned(_ ex: Exchange, _ error: (any Error)?) {
        guard state == .open, exchange === ex, !ex.responseComplete else { return }
        if ex.responseStarted {
            if error != nil {
                // Mid-stream failure: framing is broken, only a close tells the client.
                return abort(.clientDisconnected)
            }
            try? finishResponse(ex, trailers: HTTPHeaders())
            return
        }
        let httpError: HTTPError
        switch error {
        case let e as HTTPError:
            httpError = e
        case let e as HTTPParseError:
            httpError = HTTPError(e.status, e.message, type: "invalid_request_error")
        case let e as HTTPConnectionError where e == .clientDisconnected || e == .serverShutdown:
            return abort(e)
        case let e?:
            httpError = HTTPError(.internalServerError, "internal error: \(e)", type: "internal_error")
        case nil:
            httpError = HTTPError(.internalServerError, "the handler returned without a response", type: "internal_error")
        }
        ex.responseStarted = true
        if !ex.requestComplete && !ex.bodyRequested { ex.keepAlive = false }
        if context.isDraining || mustClose { ex.keepAlive = false }
        enqueue(context.errorResponse(httpError, version: ex.head.version, keepAlive: ex.keepAlive,
                                      isHEAD: ex.head.method == .HEAD))
        completeResponse(ex)
    }

    /// The next body piece for the handler (nil at the end of the body).
    func readBody(_ ex: Exchange, waiter: CheckedContinuation<[UInt8]?, any Error>) {
        let firstRead = !ex.bodyRequested
        ex.bodyRequested = true
        if let chunk = ex.popChunk() {
            waiter.resume(returning: chunk)
            if state == .open { process() }
            return
        }
        if let failure = ex.bodyFailure { return waiter.resume(throwing: failure) }
        if ex.requestComplete { return waiter.resume(returning: nil) }
        guard state == .open, exchange === ex else {
            return waiter.resume(throwing: HTTPConnectionError.clientDisconnected)
        }
        ex.bodyWaiter = waiter
        // RFC 9110 §10.1.1: send 100 Continue only once the body is wanted.
        if firstRead, ex.head.expectsContinue, !ex.continueSent, !ex.responseStarted {
            ex.continueSent = true
            enqueue(ResponseHead.continueLine)
        }
        lastReadProgress = Self.now()
        process()
    }
}
