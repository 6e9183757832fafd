import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The systemd watchdog: `WatchdogSec=` in the unit sets `$WATCHDOG_USEC`,
/// and the service must send `WATCHDOG=1` more often than that or be killed
/// (and, with `Restart=on-failure`, restarted).
///
/// Call `pet()` from the loop whose liveness matters (the engine loop, after
/// every step and at least every `interval` while idle — wait on its queue
/// with a timeout of `interval`). `pet()` is cheap and thread-safe; it sends
/// only when `interval / 2` has passed since the last ping, so pings are at
/// most `interval/2 + interval` = ¾ of the timeout apart when the caller keeps
/// its side of the contract. A hung loop stops petting, which is the point:
/// never pet from a timer that runs regardless of the loop.
public final class Watchdog: Sendable {
    /// Half the watchdog timeout, as sd_watchdog_enabled(3) recommends.
    public let interval: Duration
    private let notifier: SdNotify
    private let lastPing = Mutex<UInt64?>(nil)  // CLOCK_MONOTONIC µs

    /// A watchdog when systemd asked for one, else nil.
    public convenience init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let interval = Watchdog.interval(environment: environment, pid: getpid()) else { return nil }
        self.init(interval: interval, notifier: SdNotify(environment: environment))
    }

    /// A watchdog pinging through `notifier` (tests use their own socket).
    public init(interval: Duration, notifier: SdNotify) {
        self.interval = interval
        self.notifier = notifier
    }

    /// Half of `$WATCHDOG_USEC`; nil when the variable is unset, not a positive
    /// integer, or `$WATCHDOG_PID` names another process (the variables were
    /// inherited by a child, which must not ping for its parent).
    public static func interval(environment: [String: String], pid: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let owner = Int64(pidText), owner == Int64(pid) else { return nil }
        }
        return .microseconds(Int64(clamping: usec / 2))
    }

    /// `interval` in seconds, for DispatchTime arithmetic.
    public var intervalSeconds: Double {
        let (seconds, attoseconds) = interval.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// Sends `WATCHDOG=1` if `interval / 2` has passed since the last ping.
    /// - Returns: whether a ping was sent.
    @discardableResult
    public func pet() throws(SdNotifyError) -> Bool {
        let now = SdNotify.monotonicMicroseconds()
        let (seconds, attoseconds) = interval.components
        let halfMicros = (UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000_000) / 2
        return try lastPing.withLock { (lastPing) throws(SdNotifyError) -> Bool in
            if let last = lastPing, now &- last < halfMicros { return false }
            try notifier.watchdog()
            lastPing = now
            return true
        }
    }
}
