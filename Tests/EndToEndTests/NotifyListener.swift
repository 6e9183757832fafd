import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// systemd's side of `$NOTIFY_SOCKET` for an end-to-end test: a thread that
/// receives every datagram as it arrives and, the moment `READY=1` shows up,
/// probes the daemon the way systemd's dependants would (`GET /health`),
/// before the test thread sees anything.
///
/// `@unchecked Sendable`: `receiver` (not Sendable) is used only by the
/// listening thread after `init`; everything else that changes is in `state`.
final class NotifyListener: @unchecked Sendable {
    struct ReadyProbe {
        /// The daemon's stdout at the moment READY=1 was received.
        var stdout: String
        /// `GET /health` status right after READY=1 (0 if no port was printed).
        var healthStatus: Int
    }

    let receiver: DatagramReceiver
    private let directory: URL
    private let state = Mutex<(messages: [String], readyProbe: ReadyProbe?, stopped: Bool)>(([], nil, false))

    var address: String { receiver.address }

    /// Listens on a fresh socket; `directory` is the daemon's (its stdout-*.log is read on READY).
    init(directory: URL) throws {
        receiver = try DatagramReceiver(abstract: false)
        self.directory = directory
        let thread = Thread { [self] in listen() }
        thread.start()
    }

    private func listen() {
        while true {
            if state.withLock({ $0.stopped }) { return }
            guard let message = receiver.receive() else { continue }   // 10 s receive timeout: poll `stopped`
            if message.split(separator: "\n").contains("READY=1"), snapshot().readyProbe == nil {
                let probe = probeNow()
                state.withLock { $0.readyProbe = probe }
            }
            state.withLock { $0.messages.append(message) }
        }
    }

    private func probeNow() -> ReadyProbe {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let stdout = files.filter { $0.hasPrefix("stdout-") }
            .compactMap { try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined()
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("lorad: listening on http://") }),
              let port = line.split(separator: ":").last.flatMap({ Int($0) }) else {
            return ReadyProbe(stdout: stdout, healthStatus: 0)
        }
        let status = (try? Curl.get("http://127.0.0.1:\(port)/health").status) ?? 0
        return ReadyProbe(stdout: stdout, healthStatus: status)
    }

    func snapshot() -> (messages: [String], readyProbe: ReadyProbe?) {
        state.withLock { ($0.messages, $0.readyProbe) }
    }

    /// Waits (≤ `seconds`) until `predicate` holds for the messages so far; returns them.
    @discardableResult
    func wait(seconds: Double = 60, until predicate: ([String]) -> Bool) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let messages = snapshot().messages
            if predicate(messages) { return messages }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return snapshot().messages
    }

    /// Stops the thread at its next receive timeout (the socket closes with the receiver).
    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// Messages whose lines include `line` exactly.
    static func count(_ line: String, in messages: [String]) -> Int {
        messages.filter { $0.split(separator: "\n").contains(Substring(line)) }.count
    }
}
