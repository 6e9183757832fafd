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
/// source reports it (the pattern the DispatchSource documentation
/// prescribes; on Linux libdispatch then swaps in its own handler that routes
/// the signal to a signalfd). `cancel()` stops the callbacks but never
/// restores `SIG_DFL`: a late SIGTERM must not kill a process that is already
/// draining.
///
/// `@unchecked Sendable`: `sources` is written once in `init` and only read
/// (by `cancel`, whose DispatchSource calls are thread-safe) afterwards.
public final class SignalWatcher: @unchecked Sendable {
    /// The signals a daemon handles: stop (TERM, INT) and reload (HUP).
    public static let daemonSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    private let sources: [DispatchSourceSignal]

    /// Starts watching `signals`; `handler` runs on `queue` once per delivery
    /// (signals arriving together may coalesce into one call, as with any
    /// Unix signal). Returns once libdispatch has registered every source.
    ///
    /// Why wait: on Linux, libdispatch registers a signal source
    /// asynchronously on its manager thread, installing its own handler
    /// (which blocks the signal and hands it to a signalfd). Until then the
    /// disposition is our `SIG_IGN` and a signal would be discarded. The
    /// sources therefore target a private queue, whose registration handlers
    /// can run while `init` waits (even when `queue` is the main queue), and
    /// forward each delivery to `queue`.
    public init(signals: [Int32] = SignalWatcher.daemonSignals,
                queue: DispatchQueue = DispatchQueue(label: "lorad.signals"),
                handler: @escaping @Sendable (Int32) -> Void) {
        SignalWatcher.ignoreSIGPIPE()
        let sourceQueue = DispatchQueue(label: "lorad.signal-sources")
        let registered = DispatchGroup()
        var sources: [DispatchSourceSignal] = []
        for number in Set(signals).sorted() {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: sourceQueue)
            source.setEventHandler { queue.async { handler(number) } }
            registered.enter()
            source.setRegistrationHandler { registered.leave() }
            source.resume()
            sources.append(source)
        }
        // Bounded so a wedged libdispatch cannot hang startup; registration
        // normally takes microseconds.
        _ = registered.wait(timeout: .now() + 5)
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
