import Dispatch

/// Closing: graceful (flush, half-close, linger), immediate, and on shutdown.
extension Connection {
    /// Sends `bytes` (a final response), then closes gracefully.
    func sendAndClose(_ bytes: [UInt8]) {
        enqueue(bytes)
        closeAfterFlush()
    }

    /// Stops taking requests; closes once queued output is sent, lingering
    /// briefly so the peer reads our last response before any RST.
    func closeAfterFlush() {
        guard state == .open else { return }
        state = .closing
        if let ex = exchange, !ex.responseComplete { cancelExchange(ex, .clientDisconnected) }
        if pendingOut == 0 { startLinger() } else { updateTimer() }
    }

    /// Half-close, then drain what the client still sends (RFC 9112 §9.6:
    /// closing with unread input makes the kernel send RST, which can destroy
    /// the response the client has not read yet).
    func startLinger() {
        guard state == .open || state == .closing else { return }
        if peerEOF { return closeNow() }
        state = .lingering
        socket.shutdownWrite()
        lingerDeadline = Self.now() + Self.lingerTimeout
        if context.isDraining {
            // Shutting down: do not hold the process for the linger period;
            // with no unread input the close sends a plain FIN.
            discardLingering()
            return closeNow()
        }
        if readPaused {
            readPaused = false
            if let rs = readSource { rs.resume() } else { queue.async { [self] in inputReady() } }
        }
        updateTimer()
    }

    func discardLingering() {
        while true {
            let r = withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { buffer in
                try? socket.read(into: buffer)
            }
            switch r {
            case .bytes?: continue
            case .wouldBlock?: return
            case .endOfFile?, nil: return closeNow()
            }
        }
    }

    /// The client is gone or the server gives up: cancel the handler and close.
    func abort(_ reason: HTTPConnectionError) {
        if let ex = exchange { cancelExchange(ex, reason) }
        closeNow()
    }

    func cancelExchange(_ ex: Exchange, _ reason: HTTPConnectionError) {
        ex.cancel()
        if let waiter = ex.bodyWaiter {
            ex.bodyWaiter = nil
            waiter.resume(throwing: reason)
        }
        if ex.bodyFailure == nil { ex.bodyFailure = reason }
        if let waiter = writeWaiter {
            writeWaiter = nil
            waiter.resume(throwing: reason)
        }
    }

    func closeNow() {
        guard state != .closed else { return }
        if let ex = exchange, !ex.responseComplete { cancelExchange(ex, .clientDisconnected) }
        state = .closed
        exchange = nil
        if let waiter = writeWaiter {
            writeWaiter = nil
            waiter.resume(throwing: HTTPConnectionError.clientDisconnected)
        }
        timer?.cancel()
        if let rs = readSource {
            rs.cancel()
            if readPaused { rs.resume() }
        } else {
            if inLoop { loop.deregister(self) }
            openSources -= 1
        }
        if let ws = writeSource {
            ws.cancel()
            switch writeSourceState {
            case .inactive: ws.activate()
            case .suspended: ws.resume()
            case .running: break
            }
        } else {
            openSources -= 1
        }
        if openSources == 0 { finalClose() }
    }

    func sourceCancelled() {
        openSources -= 1
        if openSources == 0 { finalClose() }
    }

    /// Both sources are gone, so the descriptor can be closed without a source
    /// still watching a reused number.
    func finalClose() {
        readSource = nil
        writeSource = nil
        timer = nil
        socket.close()
        context.onClose(id)
    }

    /// Graceful shutdown: an idle connection closes now; a busy one after its
    /// current response.
    func drain() {
        if state == .lingering {
            // Our answer and FIN are already queued; with no unread input a
            // close now cannot turn into an RST that destroys them.
            discardLingering()
            return closeNow()
        }
        guard state == .open else { return }
        if exchange == nil { closeNow() }
    }
}
