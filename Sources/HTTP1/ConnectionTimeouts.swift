import Dispatch

/// A connection's clocks and its one timer. The timer is armed lazily: it is
/// moved earlier when a nearer deadline appears and otherwise re-evaluated
/// when it fires, so a busy keep-alive connection does not reprogram it on
/// every request. Times are `DispatchTime` uptime nanoseconds.
final class ConnectionTimeouts {  // confined to the connection's queue, like its owner
    let limits: HTTPLimits
    private var source: DispatchSourceTimer?
    private var armed: UInt64 = .max

    /// The end of the last exchange (or the accept).
    var idleSince: UInt64
    /// Since when the request head being read is awaited: its first byte, or
    /// the accept for a connection's first request.
    var headStartedAt: UInt64?
    /// The last time request bytes arrived or a handler started waiting for them.
    var lastRead: UInt64
    /// The current exchange's body rate floor.
    var bodyPace = BodyPace()
    /// When a lingering close gives up on the client.
    var lingerUntil: UInt64 = 0

    static let lingerTimeout: UInt64 = 2_000_000_000

    init(limits: HTTPLimits, now: UInt64) {
        self.limits = limits
        idleSince = now
        lastRead = now
    }

    /// Creates and starts the timer; `fired` runs on `queue`.
    func attach(queue: DispatchQueue, fired: @escaping () -> Void) {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.setEventHandler(handler: fired)
        source = t
        t.activate()
    }

    /// The moment `wait` times out, if it can; `lastWrite` is when the socket
    /// last took output.
    func deadline(_ wait: ConnectionWait, lastWrite: UInt64) -> UInt64? {
        switch wait {
        case .nothing, .handler: nil
        case .linger: lingerUntil
        case .send: Self.after(lastWrite, limits.writeTimeout)
        case .body:
            min(Self.after(lastRead, limits.bodyReadTimeout),
                bodyPace.deadline(grace: limits.bodyReadTimeout, minBytesPerSecond: limits.minBodyBytesPerSecond) ?? .max)
        case .idle: Self.after(idleSince, limits.idleTimeout)
        case .fresh, .head: Self.after(headStartedAt ?? idleSince, limits.headerReadTimeout)
        }
    }

    /// Why a body wait timed out at `now`: a pause longer than
    /// `bodyReadTimeout`, or too slow a body overall.
    func bodyTimeoutMessage(now: UInt64) -> String {
        if now >= Self.after(lastRead, limits.bodyReadTimeout) {
            return "no request body bytes for \(limits.bodyReadTimeout)"
        }
        return "request body arrives slower than \(limits.minBodyBytesPerSecond) bytes/s "
            + "(\(bodyPace.received) bytes received)"
    }

    /// `start + duration`, saturating: a limit of "forever" must not trap.
    static func after(_ start: UInt64, _ duration: Duration) -> UInt64 {
        let (sum, overflow) = start.addingReportingOverflow(duration.nanoseconds)
        return overflow ? .max : sum
    }

    /// Arms the timer for `deadline` when that is earlier than the armed one.
    func arm(_ deadline: UInt64?) {
        guard let deadline, deadline < armed, let source else { return }
        armed = deadline
        source.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .milliseconds(20))
    }

    /// The timer fired: nothing is armed until the owner re-arms it.
    func fired() { armed = .max }

    func cancel() {
        source?.cancel()
        source = nil
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (a limit of "forever" must not trap).
    var nanoseconds: UInt64 {
        let (s, a) = components
        guard s >= 0 else { return 0 }
        let (ns, overflow) = UInt64(s).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : ns.addingReportingOverflow(UInt64(a / 1_000_000_000)).partialValue
    }
}
