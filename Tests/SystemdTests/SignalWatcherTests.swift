import Synchronization
import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Systemd

@Suite(.serialized) struct SignalWatcherTests {
    /// Collects delivered signal numbers across threads.
    final class Deliveries: Sendable {
        private let numbers = Mutex<[Int32]>([])
        let semaphore = DispatchSemaphore(value: 0)
        func add(_ n: Int32) { numbers.withLock { $0.append(n) }; semaphore.signal() }
        var all: [Int32] { numbers.withLock { $0 } }
    }

    @Test func aSignalIsDeliveredAsACallback() throws {
        let deliveries = Deliveries()
        let watcher = SignalWatcher(signals: [SIGUSR2]) { deliveries.add($0) }
        defer { watcher.cancel() }
        #expect(kill(getpid(), SIGUSR2) == 0)
        // A deadline for a lost signal, not a speed requirement.
        #expect(deliveries.semaphore.wait(timeout: .now() + 10) == .success)
        #expect(deliveries.all == [SIGUSR2])
    }

    @Test func hangupIsDeliveredAndNoLongerTerminates() throws {
        let deliveries = Deliveries()
        // Only SIGHUP: taking over SIGINT/SIGTERM would stop Ctrl-C from ending `swift test`.
        let watcher = SignalWatcher(signals: [SIGHUP]) { deliveries.add($0) }
        defer { watcher.cancel() }
        // SIGHUP's default action would kill the test process; the watcher ignores it.
        #expect(kill(getpid(), SIGHUP) == 0)
        #expect(deliveries.semaphore.wait(timeout: .now() + 10) == .success)
        #expect(deliveries.all == [SIGHUP])
    }

    @Test func sigpipeIsIgnored() {
        SignalWatcher.ignoreSIGPIPE()
        var old = sigaction()
        sigaction(SIGPIPE, nil, &old)
        #expect(unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
    }

    @Test func theDaemonWatchesStopAndReloadSignals() {
        #expect(Set(SignalWatcher.daemonSignals) == [SIGTERM, SIGINT, SIGHUP])
    }

    @Test func signalsHaveReadableNames() {
        #expect(SignalWatcher.name(of: SIGTERM) == "SIGTERM")
        #expect(SignalWatcher.name(of: SIGHUP) == "SIGHUP")
        #expect(SignalWatcher.name(of: 42) == "signal 42")
    }
}
