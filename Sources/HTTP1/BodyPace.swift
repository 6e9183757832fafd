/// The rate floor of one request body (`HTTPLimits.minBodyBytesPerSecond`,
/// after Apache's `RequestReadTimeout body=…,MinRate=…`): the time the
/// handler spends waiting for body bytes may total at most one
/// `bodyReadTimeout` plus one second per `minBodyBytesPerSecond` bytes
/// received. So a body trickled a byte at a time cannot hold a connection for
/// long however short each pause is, while a client that keeps up the rate
/// may take as long as its body needs. Time the handler spends not reading
/// does not count: the client is not being asked for bytes then.
/// Times are `DispatchTime` uptime nanoseconds.
struct BodyPace: Equatable {
    /// Nanoseconds of finished waits.
    private var waited: UInt64 = 0
    /// Start of the wait in progress.
    private var waitStart: UInt64?
    /// Body bytes received so far.
    private(set) var received = 0

    mutating func receive(_ count: Int) { received &+= count }

    /// A wait is in progress.
    var isWaiting: Bool { waitStart != nil }

    /// The handler started or stopped waiting for body bytes.
    mutating func setWaiting(_ waiting: Bool, now: UInt64) {
        if waiting {
            if waitStart == nil { waitStart = now }
        } else if let start = waitStart {
            waited &+= now >= start ? now - start : 0
            waitStart = nil
        }
    }

    /// When the wait in progress breaks the rate floor; nil when the handler
    /// is not waiting or there is no floor.
    func deadline(grace: Duration, minBytesPerSecond: Int) -> UInt64? {
        guard let start = waitStart, minBytesPerSecond > 0 else { return nil }
        // Doubles: bytes × 10⁹ overflows UInt64 beyond 18 GB.
        let allowance = Double(grace.nanoseconds) + Double(received) / Double(minBytesPerSecond) * 1e9
        let left = allowance - Double(waited)
        guard left > 0 else { return start }
        guard left < Double(UInt64.max - start) else { return .max }
        return start + UInt64(left)
    }
}
