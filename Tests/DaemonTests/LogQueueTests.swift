import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Daemon

@Suite struct LogQueueTests {
    /// A pipe whose write end a logger gets; the test reads (or does not).
    final class Pipe: Sendable {
        let read: Int32, write: Int32
        init() throws {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw POSIXError(.EIO) }
            (read, write) = (fds[0], fds[1])
        }
        deinit { close(read); close(write) }

        /// Fills the pipe to the brim with "filler" lines, so the logger's
        /// next write blocks until the test reads: a reader that stopped.
        func fill() -> Int {
            let flags = fcntl(write, F_GETFL)
            _ = fcntl(write, F_SETFL, flags | O_NONBLOCK)
            defer { _ = fcntl(write, F_SETFL, flags) }
            let line = Array("filler\n".utf8)
            var lines = 0
            while Glibc.write(write, line, line.count) == line.count { lines += 1 }
            return lines
        }

        /// Bytes until `done` says the text so far is complete (blocking reads).
        func read(until done: (String) -> Bool) -> String {
            var text = Data()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !done(String(decoding: text, as: UTF8.self)) {
                let n = Glibc.read(read, &buffer, buffer.count)
                if n <= 0 { break }
                text.append(contentsOf: buffer[0..<n])
            }
            return String(decoding: text, as: UTF8.self)
        }
    }

    /// Runs `body` on another thread; true if it returned within `seconds`.
    /// Blocking on the pipe would never return: this is a hang check, not a
    /// timing (the work takes milliseconds).
    static func returns(within seconds: Int, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        return done.wait(timeout: .now() + .seconds(seconds)) == .success
    }

    @Test func aReaderThatStopsReadingNeverBlocksLoggingAndEveryGapIsReported() throws {
        let pipe = try Pipe()
        let filler = pipe.fill()
        let logger = Logger(level: .info, format: .text, environment: [:], fd: pipe.write, queueBytes: 16_384)
        let count = 20_000   // ~1.4 MB of lines against a full pipe and a 16 KiB queue
        #expect(Self.returns(within: 60) {
            for i in 0..<count { logger.info("event", ["i": String(i)]) }
        })
        // Reading lets the writer go on: the rest of the queue, the report.
        var text = pipe.read { $0.contains("dropped=") && $0.hasSuffix("\n") }
        logger.info("after")
        text += pipe.read { $0.contains(" after\n") }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.prefix(filler).allSatisfy { $0 == "filler" })
        // What follows: the events in order, none torn, each gap counted
        // exactly by the reports before the next event; the reports after
        // the last event count the rest; then the line logged after.
        var next = 0, unreported = 0, reports = 0
        for line in lines.dropFirst(filler).dropLast() {
            if let i = line.split(separator: "=").last.flatMap({ Int($0) }), line.contains(" info event i=") {
                #expect(i == next + unreported, "event \(i) after \(next - 1) with \(unreported) reported dropped")
                (next, unreported) = (i + 1, 0)
            } else {
                let dropped = line.components(separatedBy: "warning log lines dropped: the log's reader fell behind dropped=")
                #expect(dropped.count == 2, "unexpected line \(line)")
                unreported += dropped.last.flatMap { Int($0) } ?? 0
                reports += 1
            }
        }
        #expect(next + unreported == count)
        #expect(reports >= 1)
        #expect(lines.last?.hasSuffix(" info after") == true)
        #expect(logger.flush())
    }

    @Test func flushGivesUpOnAReaderThatNeverReads() throws {
        let pipe = try Pipe()
        _ = pipe.fill()
        let logger = Logger(level: .info, format: .json, environment: [:], fd: pipe.write, queueBytes: 4_096)
        for i in 0..<2_000 { logger.info("event", ["i": String(i)]) }
        let flushed = Mutex(true)
        #expect(Self.returns(within: 60) { flushed.withLock { $0 = logger.flush(timeout: .milliseconds(100)) } })
        #expect(flushed.withLock { !$0 })
        // Once read, everything queued and the report arrive and flush succeeds.
        let text = pipe.read { $0.contains("log lines dropped") && $0.hasSuffix("\n") }
        #expect(text.split(separator: "\n").last?.hasPrefix("{") == true)
        #expect(logger.flush())
    }
}
