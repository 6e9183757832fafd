import Foundation

/// Closing: gracefully after a final response (half-close, then linger so
/// the peer reads it), at once when the peer is gone or the server gives
/// up, and on eviction or shutdown.
extension Connection {
    /// Sends `bytes` (a final response), then closes gracefully.
    func sendAndClose(_ bytes: [UInt8]) {
        send(bytes)
        closeAfterFlush()
    }

    /// Stops taking requests; closes once queued output is sent, lingering
    /// briefly so the peer reads our last response before any RST.
    func closeAfterFlush() {
        guard state == .open else { return }
        state = .closing
        if let ex = exchange, !ex.responseComplete { cancelExchange(ex, .clientDisconnected) }
        if output.pending == 0 { startLinger() } else { updateTimer() }
    }

    /// Half-close, then drain what the client still sends (RFC 9112 §9.6:
    /// closing with unread input makes the kernel send RST, which can destroy
    /// the response the client has not read yet).
    func startLinger() {
        guard state == .open || state == .closing else { return }
        if peerEOF { return closeNow() }
        state = .lingering
        socket.shutdownWrite()
        timeouts.lingerUntil = Self.now() + ConnectionTimeouts.lingerTimeout
        if context.isDraining {
            // Shutting down: do not hold the process for the linger period;
            // with no unread input the close sends a plain FIN.
            discardLingering()
            return closeNow()
        }
        input.resume(self)
        updateTimer()
    }

    func discardLingering() {
        if input.discardAll(socket) { closeNow() }
    }

    /// The client is gone or the server gives up: cancel the handler and close.
    func abort(_ reason: HTTPConnectionError) {
        if let ex = exchange { cancelExchange(ex, reason) }
        closeNow()
    }

    private func cancelExchange(_ ex: Exchange, _ reason: HTTPConnectionError) {
        ex.cancel(reason)
        output.failWaiter(reason)
    }

    func closeNow() {
        guard state != .closed else { return }
        if let ex = exchange, !ex.responseComplete { cancelExchange(ex, .clientDisconnected) }
        state = .closed
        exchange = nil
        output.failWaiter(.clientDisconnected)
        timeouts.cancel()
        if !input.cancel(self) { openSources -= 1 }
        if !output.cancel() { openSources -= 1 }
        if openSources == 0 { finalClose() }
    }

    func sourceCancelled() {
        openSources -= 1
        if openSources == 0 { finalClose() }
    }

    /// Both watchers are gone, so the descriptor can be closed without a
    /// source still watching a reused number.
    private func finalClose() {
        input.detach()
        output.detach()
        socket.close()
        context.onClose(id)
    }

    /// The server needs this connection's slot (`maxConnections`): closed now
    /// if still idle, else after its current response.
    func evict() {
        guard state == .open else { return }
        if exchange == nil && decoder.isIdle { return closeNow() }
        mustClose = true
    }

    /// A graceful shutdown's grace period ran out: closes, cutting the
    /// exchange in progress with `.serverShutdown`. True when one was cut.
    func cutAtShutdown() -> Bool {
        let cut = state == .open && exchange.map { !$0.responseComplete } == true
        abort(.serverShutdown)
        return cut
    }

    /// Graceful shutdown: an idle connection closes now; a busy one after its
    /// current response; one between exchanges with responses still queued
    /// (a pipelining client reading slowly) once they are sent.
    func drain() {
        if state == .lingering {
            // Our answer and FIN are already queued; with no unread input a
            // close now cannot turn into an RST that destroys them.
            discardLingering()
            return closeNow()
        }
        guard state == .open else { return }
        if exchange == nil { closeAfterFlush() }
    }
}
