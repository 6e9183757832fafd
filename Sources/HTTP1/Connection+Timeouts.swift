import Dispatch

/// One timer per connection, armed lazily: it is moved earlier when a nearer
/// deadline appears and otherwise re-evaluated when it fires, so a busy
/// keep-alive connection does not reprogram it on every request.
extension Connection {
    /// The moment the connection's current state times out, if it can.
    func currentDeadline() -> UInt64? {
        switch state {
        case .closed:
            return nil
        case .lingering:
            return lingerDeadline
        case .closing:
            return lastWriteProgress + UInt64(limits.writeTimeout.nanoseconds)
        case .open:
            if pendingOut > 0 { return lastWriteProgress + UInt64(limits.writeTimeout.nanoseconds) }
            if let ex = exchange {
                return ex.bodyWaiter != nil ? lastReadProgress + UInt64(limits.bodyReadTimeout.nanoseconds) : nil
            }
            if decoder.isIdle { return idleSince + UInt64(limits.idleTimeout.nanoseconds) }
            return (headStartedAt ?? idleSince) + UInt64(limits.headerReadTimeout.nanoseconds)
        }
    }

    func updateTimer() {
        guard let deadline = currentDeadline(), deadline < armedDeadline, let timer else { return }
        armedDeadline = deadline
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .milliseconds(20))
    }

    func timerFired() {
        armedDeadline = .max
        guard let deadline = currentDeadline() else { return }
        if Self.now() < deadline { return updateTimer() }
        switch state {
        case .closed:
            return
        case .lingering, .closing:
            return closeNow()
        case .open:
            break
        }
        if pendingOut > 0 { return abort(.clientDisconnected) }  // the client stopped reading
        if let ex = exchange {
            // Body stalled: the handler's read fails with 408; close afterwards.
            let error = HTTPError(.requestTimeout, "no request body bytes for \(limits.bodyReadTimeout)", type: "timeout")
            mustClose = true
            ex.bodyFailure = error
            if let waiter = ex.bodyWaiter {
                ex.bodyWaiter = nil
                waiter.resume(throwing: error)
            }
            return
        }
        if decoder.isIdle { return closeNow() }
        let error = HTTPError(.requestTimeout, "request header not received within \(limits.headerReadTimeout)", type: "timeout")
        sendAndClose(context.errorResponse(error, version: .http1_1, keepAlive: false))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
