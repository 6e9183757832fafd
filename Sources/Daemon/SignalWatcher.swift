import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Delivers SIGTERM, SIGINT, SIGHUP (or any chosen signals) as callbacks on
/// a dispatch queue instead of in an async-signal context.
///
/// Each signal's default disposition is first set to `SIG_IGN`, so that the
/// signal no longer terminates the process, and a `DispatchSource` signal
/// source reports it (libdispatch observes the signal independently of the
/// disposition — the pattern its documentation prescribes). `cancel()` stops
/// the callbacks but leaves the signals ignored: restoring `SIG_DFL` would
/// let a late SIGTERM kill a process that is already draining.
///
/// `@unchecked Sendable`: `sources` is written once in `init` and only read
/// (by `cancel`, whose DispatchSource calls are thread-safe) afterwards.
public final class SignalWatcher: @unchecked Sendable {
    /// The signals a daemon handles: stop (TERM, INT) and reload (HUP).
    public static let daemonSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    private let sources: [DispatchSourceSignal]

    /// Starts watching `signals`; `handler` runs on `queue` once per delivery
    /// (signals arriving together may coalesce into one call, as with any
    /// Unix signal).
    public init(signals: [Int32] = SignalWatcher.daemonSignals,
                queue: DispatchQueue = DispatchQueue(label: "lorad.signals"),
                handler: @escaping @Sendable (Int32) -> Void) {
        SignalWatcher.ignoreSIGPIPE()
        var sources: [DispatchSourceSignal] = []
        for number in Set(signals).sorted() {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Stops the callbacks (the signals stay ignored, see the type's doc).
    public func cancel() {
        for source in sources { source.cancel() }
    }

    deinit { cancel() }

    /// Ignores SIGPIPE for the whole process: a client that hangs up must
    /// produce EPIPE from `write`, not kill the daemon.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// A short name for log lines: "SIGTERM", or "signal 42".
    public static func name(of number: Int32) -> String {
        switch number {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        case SIGQUIT: return "SIGQUIT"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        case SIGPIPE: return "SIGPIPE"
        default: return "signal \(number)"
        }
    }
}
