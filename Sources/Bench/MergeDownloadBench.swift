import CLI
import Daemon
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `lorad-bench serve`, part 3: `POST /adapters/NAME/merge` of the 135M-shaped
/// model to a local client that discards the body as it arrives, reporting
/// MB/s and the daemon's peak extra resident memory while it answers.
///
/// The daemon runs in this process, so /proc/self/status is its memory: the
/// peak (VmHWM) is reset through /proc/self/clear_refs ("5", proc(5)) before
/// each download and read after; extra = peak − VmRSS before. The client
/// keeps only a 1 MiB receive buffer, so the delta is the server's.
/// Target: ≥ 200 MB/s, extra RSS ≤ 10 % of the model file.
enum MergeDownloadBench {
    static func run(port: UInt16, adapter: String, modelBytes: Int, rounds: Int, into report: inout BenchReport) throws {
        var bestRate = 0.0, worstExtra = 0, bytes = 0
        for _ in 0..<max(rounds, 2) {
            let before = try Self.status("VmRSS")
            try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
            let start = ContinuousClock.now
            let (status, received) = try download(port: port, path: "/adapters/\(adapter)/merge")
            let seconds = (ContinuousClock.now - start).seconds
            guard status == 200 else { throw BenchError.http(status, "merge download") }
            let peak = try Self.status("VmHWM")
            bytes = received
            bestRate = max(bestRate, Double(received) / seconds / 1e6)
            worstExtra = max(worstExtra, peak - before)
        }
        let share = Double(worstExtra) / Double(modelBytes)
        report.add("merge download (POST /adapters/NAME/merge, F32, \(format(Double(bytes) / 1e6, 1)) MB)",
                   "\(format(bestRate)) MB/s", "best of \(max(rounds, 2)); target ≥ 200 MB/s: \(bestRate >= 200 ? "met" : "NOT met")")
        report.add("merge download: peak extra RSS", "\(format(Double(worstExtra) / 1e6, 1)) MB",
                   "\(format(share * 100, 1)) % of the model file (VmHWM − VmRSS before, worst round); target ≤ 10 %: \(share <= 0.10 ? "met" : "NOT met")")
    }

    /// POSTs `path` and reads the response to EOF, keeping only the byte count.
    /// Returns the status and the body length.
    static func download(port: UInt16, path: String) throws -> (status: Int, bodyBytes: Int) {
        let fd = try BenchHTTPClient.connectLoopback(port: port)
        defer { close(fd) }
        let head = Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8)
        guard head.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == head.count else {
            throw BenchError.http(0, "send: errno \(errno)")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var headBytes: [UInt8] = []
        var headerEnd: Int? = nil
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BenchError.http(0, "recv: errno \(errno)")
            }
            if n == 0 { break }
            total += n
            if headerEnd == nil {
                headBytes += buffer[0..<min(n, 4096)]
                if let r = headBytes.firstRange(of: Array("\r\n\r\n".utf8)) { headerEnd = r.upperBound }
            }
        }
        guard let headerEnd else { throw BenchError.http(0, "no response head") }
        let statusLine = String(decoding: headBytes.prefix(while: { $0 != 13 }), as: UTF8.self)
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, total - headerEnd)
    }

    /// A `kB` field of /proc/self/status, in bytes.
    static func status(_ field: String) throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            if let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) { return kb * 1024 }
        }
        throw BenchError.http(0, "/proc/self/status has no \(field)")
    }
}
