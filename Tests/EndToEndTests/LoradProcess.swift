import Foundation
import Testing
import TestSupport

/// The real `lorad` binary (built by `swift build`/`swift test` next to the
/// test bundle) running `serve` on an ephemeral port, with its own temporary
/// directory (registry, logs). Killed on `stop()`/`kill9()` and, as a last
/// resort, on deinit, so a failing test never leaves a daemon behind.
final class LoradProcess: @unchecked Sendable { // `process` is only used from the owning test
    let directory: URL
    let registry: URL
    let process: Process
    let stdoutURL: URL
    let stderrURL: URL
    private(set) var port: Int = 0
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `lorad serve --listen 127.0.0.1:0 --registry <dir>/registry.sqlite <extra>` and
    /// waits (≤ 60 s) for its `listening on` line. `logLevel` nil leaves
    /// `--log-level` out (so a `--config` file's `log_level` counts).
    /// `ulimits` (e.g. `["-n 256", "-v 4000000"]`) are set by `/bin/sh`,
    /// which then execs the daemon (so the process is still lorad itself).
    init(directory: URL? = nil, arguments extra: [String] = [], environment: [String: String] = [:],
         logLevel: String? = "warning", ulimits: [String] = []) throws {
        let dir = try directory ?? Fixtures.temporaryDirectory("lorad-e2e")
        self.directory = dir
        registry = dir.appendingPathComponent("registry.sqlite")
        let stamp = UUID().uuidString.prefix(8)
        stdoutURL = dir.appendingPathComponent("stdout-\(stamp).log")
        stderrURL = dir.appendingPathComponent("stderr-\(stamp).log")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process = Process()
        let arguments = ["serve", "--listen", "127.0.0.1:0", "--registry", registry.path,
                         "--model", Fixtures.tinyLlama.path, "--threads", "1"]
            + (logLevel.map { ["--log-level", $0] } ?? []) + extra
        if ulimits.isEmpty {
            process.executableURL = try LoradBinary.url()
            process.arguments = arguments
        } else {
            let script = ulimits.map { "ulimit \($0) || exit 97; " }.joined() + "exec \"$0\" \"$@\""
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script, try LoradBinary.url().path] + arguments
        }
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "WATCHDOG_USEC")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        do { port = try waitForPort() } catch {
            kill9()
            throw error
        }
    }

    private func waitForPort() throws -> Int {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("lorad: listening on http://") }),
               let port = line.split(separator: ":").last.flatMap({ Int($0) }) {
                return port
            }
            if !process.isRunning { throw LoradProcessError.exited(status: process.terminationStatus, stderr: stderr) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw LoradProcessError.timeout(stderr: stderr)
    }

    /// Sends `signal` (SIGHUP for a reload) to the daemon.
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then wait for the exit (SIGKILL after 20 s). Returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        if !waitForExit(seconds: 20) { kill9() }
        return process.terminationStatus
    }

    /// `kill -9`: no chance to clean up.
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 10)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return !process.isRunning
    }

    /// Removes the temporary directory (stopping the daemon first).
    func cleanUp() {
        kill9()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { kill9() }
}

enum LoradProcessError: Error, CustomStringConvertible {
    case exited(status: Int32, stderr: String)
    case timeout(stderr: String)

    var description: String {
        switch self {
        case let .exited(status, stderr): return "lorad exited with \(status) before listening:\n\(stderr)"
        case .timeout(let stderr): return "lorad did not print its listening line within 60 s:\n\(stderr)"
        }
    }
}
