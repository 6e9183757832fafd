import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Complete log lines handed to a descriptor by a thread of their own, so
/// that a reader who stops reading (a stderr pipe nobody drains, a journald
/// that is restarting) never blocks a request, the engine or the watchdog:
/// `write(2)` on a full pipe blocks the caller, and before this queue the
/// caller was whichever thread logged — after 64 KiB of unread lines the
/// whole daemon stood still while systemd's watchdog was still being petted.
///
/// Lines wait in order up to `capacityBytes`; past it new lines are dropped
/// and counted, and once the descriptor takes lines again one line says how
/// many were lost (`droppedLine`), so a gap in the log is never silent.
/// `flush` waits (boundedly) for what is queued, for the ends of commands.
public final class LogQueue: Sendable {
    /// Bytes of lines that may wait for the descriptor: 1 MiB, some 5,000
    /// access lines — minutes of a busy daemon's log, seconds of a stalled
    /// reader's, and memory that cannot grow past it.
    public static let defaultCapacityBytes = 1 << 20

    private struct State {
        var lines: [String] = []
        var bytes = 0
        var dropped = 0
        /// The writer holds lines it has taken but not finished writing.
        var writing = false
    }

    /// What the writer thread shares with the loggers: the thread holds
    /// this, not the queue.
    private final class Shared: Sendable {
        let state = Mutex(State())
        let wake = DispatchSemaphore(value: 0)
    }

    public let capacityBytes: Int
    private let shared = Shared()

    /// A queue writing to `fd` (not owned: never closed), each loss reported
    /// by the line `droppedLine(count)`.
    public init(fd: Int32, capacityBytes: Int = LogQueue.defaultCapacityBytes,
                droppedLine: @escaping @Sendable (Int) -> String) {
        self.capacityBytes = capacityBytes
        let thread = Thread { [shared] in Self.drain(fd: fd, shared: shared, droppedLine: droppedLine) }
        thread.name = "lorad-log"
        thread.start()
    }

    /// Queues one line, or counts it as dropped when `capacityBytes` are
    /// already waiting. Never blocks on the descriptor.
    public func enqueue(_ line: String) {
        let size = line.utf8.count
        let queued = shared.state.withLock { s -> Bool in
            guard s.bytes + size <= capacityBytes || s.lines.isEmpty && !s.writing else {
                s.dropped += 1
                return false
            }
            s.lines.append(line)
            s.bytes += size
            return true
        }
        if queued { shared.wake.signal() }
    }

    /// Waits until every queued line is written (and any drop reported), or
    /// `timeout` passes — a reader that never reads must not keep the
    /// process from exiting. True when everything was written.
    @discardableResult
    public func flush(timeout: Duration = .seconds(2)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let done = shared.state.withLock { $0.lines.isEmpty && !$0.writing && $0.dropped == 0 }
            if done { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(1_000)
        }
    }

    /// The writer thread: takes everything queued, writes it, then the
    /// report of what was dropped meanwhile (those lines came after the ones
    /// just written), and looks again before it sleeps until the next line.
    /// The thread lives as long as the process (one per logger on a
    /// descriptor: the daemon's, or a test's).
    private static func drain(fd: Int32, shared: Shared, droppedLine: @Sendable (Int) -> String) {
        while true {
            let (lines, dropped) = shared.state.withLock { s -> ([String], Int) in
                let taken = (s.lines, s.dropped)
                s.lines.removeAll(keepingCapacity: true)
                s.bytes = 0
                s.dropped = 0
                s.writing = !taken.0.isEmpty || taken.1 > 0
                return taken
            }
            if lines.isEmpty && dropped == 0 {
                shared.wake.wait()
                continue
            }
            if !lines.isEmpty { Logger.writeAll(fd: fd, lines.joined()) }
            if dropped > 0 { Logger.writeAll(fd: fd, droppedLine(dropped)) }
            shared.state.withLock { $0.writing = false }
        }
    }
}
