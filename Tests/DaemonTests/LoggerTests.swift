import Synchronization
import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
@testable import Daemon

@Suite struct LoggerTests {
    /// Lines a logger wrote, collected across threads.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ s: String) { lines.withLock { $0.append(s) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// 2026-11-29T12:17:26.123Z
    static let date = Date(timeIntervalSince1970: 1_795_954_646.123_4)

    @Test func plainLinesCarryTimestampLevelMessageAndQuotedFields() {
        let line = Logger.format(style: .plain, level: .info, message: "adapter loaded",
                                 fields: [("adapter", "python-qv-r8"), ("note", "two words"), ("q", "a\"b=c"), ("empty", "")],
                                 date: Self.date)
        #expect(line == #"2026-11-29T12:17:26.123Z info adapter loaded adapter=python-qv-r8 note="two words" q="a\"b=c" empty="""# + "\n")
    }

    @Test func timestampsAgreeWithFoundationsISO8601() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0.0, 951_782_400.999, 1_795_954_646.1234, 4_102_444_799.5] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Logger.timestamp(date) == formatter.string(from: date))
        }
    }

    @Test func journalLinesUseSyslogPriorityPrefixes() {
        let expected: [LogLevel: String] = [.debug: "<7>", .info: "<6>", .notice: "<5>", .warning: "<4>", .error: "<3>"]
        for level in LogLevel.allCases {
            let line = Logger.format(style: .journal, level: level, message: "m", fields: [("k", "v")], date: Self.date)
            #expect(line == "\(expected[level] ?? "?")m k=v\n")
        }
    }

    @Test func aNewlineNeverSplitsAnEvent() {
        for style in [LogStyle.plain, .journal, .json] {
            let line = Logger.format(style: style, level: .error, message: "bad\nthing\r",
                                     fields: [("detail", "x\ny\u{1}")], date: Self.date)
            #expect(line.filter { $0 == "\n" || $0 == "\r\n" }.count == 1)
            #expect(line.hasSuffix("\n"))
        }
    }

    @Test func jsonLinesParseBack() throws {
        let message = "quote \" backslash \\ tab \t ctrl \u{1} ü 🙂"
        let line = Logger.format(style: .json, level: .warning, message: message,
                                 fields: [("adapter", "a\"b"), ("msg", "shadow"), ("n", "42")], date: Self.date)
        #expect(line.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == ["time": "2026-11-29T12:17:26.123Z", "level": "warning", "msg": message,
                           "adapter": "a\"b", "msg_": "shadow", "n": "42"])
    }

    /// Numbers are JSON numbers, so a log store can compare and sum them;
    /// digits a call site gave as text stay a string.
    @Test func jsonLinesWriteNumbersBareAndTextAsStrings() throws {
        let lines = Lines()
        let logger = Logger(level: .info, style: .json) { lines.add($0) }
        logger.access(method: "POST", path: "/v1/completions", status: 200, adapter: "007",
                      promptTokens: 12, completionTokens: 40, durationSeconds: 0.0852104)
        logger.info("merged model sent", ["adapter": "42", "bytes": 5_005_864, "seconds": LogValue(-1.005, decimals: 2),
                                          "ratio": LogValue(numeric: "1e-05"), "odd": LogValue(numeric: "1.")])
        let objects = try lines.all.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.count == 2)
        #expect(objects[0]["status"] as? Int == 200 && objects[0]["prompt_tokens"] as? Int == 12
                && objects[0]["completion_tokens"] as? Int == 40)
        #expect(objects[0]["duration_ms"] as? Double == 85.21)
        #expect(objects[0]["adapter"] as? String == "007")
        #expect(objects[1]["adapter"] as? String == "42")
        #expect(objects[1]["bytes"] as? Int == 5_005_864)
        #expect(objects[1]["seconds"] as? Double == -1.0 || objects[1]["seconds"] as? Double == -1.01)
        #expect(objects[1]["ratio"] as? Double == 1e-05)
        #expect(objects[1]["odd"] as? String == "1.", "not JSON's number grammar: kept as text")
        // logfmt writes both alike.
        #expect(Logger.logfmt([("a", LogValue(7)), ("b", "7")]) == " a=7 b=7")
    }

    /// Fixed decimals without locale or binary noise, and JSON's number
    /// grammar (RFC 8259 §6) checked against Foundation's own parser.
    @Test func logValuesRoundToTheirDecimalsAndOnlyJSONNumbersAreWrittenBare() throws {
        #expect(LogValue(85.2104, decimals: 3).text == "85.210")
        #expect(LogValue(0.0000004, decimals: 3).text == "0.000")
        #expect(LogValue(-0.25, decimals: 1).text == "-0.3" || LogValue(-0.25, decimals: 1).text == "-0.2")
        #expect(LogValue(-0.04, decimals: 1).text == "0.0")
        #expect(LogValue(12.5, decimals: 0).text == "13" || LogValue(12.5, decimals: 0).text == "12")
        #expect(LogValue(Double.nan, decimals: 2).isNumber == false)
        #expect(LogValue(1e300, decimals: 2).isNumber == false)
        for text in ["0", "-0", "12", "1.5", "-0.25e+3", "1E9", "01", "1.", ".5", "+1", "1e", "--1", "0x10", "", "-", "1e+", " 1", "nan", "1_000"] {
            let parsed = (try? JSONSerialization.jsonObject(with: Data("[\(text)]".utf8))) as? [NSNumber]
            #expect(LogValue.isJSONNumber(text) == (parsed?.count == 1 && !text.contains(" ")), "\(text)")
        }
    }

    @Test func levelsBelowTheThresholdAreDropped() {
        let lines = Lines()
        let logger = Logger(level: .notice, style: .journal) { lines.add($0) }
        logger.debug("d")
        logger.info("i")
        logger.notice("n")
        logger.warning("w", ["k": "v"])
        logger.error("e")
        #expect(lines.all == ["<5>n\n", "<4>w k=v\n", "<3>e\n"])
    }

    @Test func accessLinesCarryTheRequestSummaryWithoutTheQuery() {
        let lines = Lines()
        let logger = Logger(level: .info, style: .journal) { lines.add($0) }
        logger.access(method: "POST", path: "/v1/completions?adapter=x&token=secret", status: 200, adapter: "python-qv-r8",
                      promptTokens: 12, completionTokens: 40, durationSeconds: 0.0852104)
        logger.access(method: "GET", path: "/health", status: 503, adapter: nil, durationSeconds: 0.0000004)
        #expect(lines.all == [
            "<6>request method=POST path=/v1/completions status=200 adapter=python-qv-r8 prompt_tokens=12 completion_tokens=40 duration_ms=85.210\n",
            "<6>request method=GET path=/health status=503 adapter=- duration_ms=0.000\n",
        ])
    }

    @Test func journalStyleIsChosenOnlyWhenStderrIsTheJournalStream() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-log")
        let path = dir.appendingPathComponent("stream").path
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        let stream = "\(info.st_dev):\(info.st_ino)"
        #expect(LogStyle.detect(format: .text, environment: ["JOURNAL_STREAM": stream], fd: fd) == .journal)
        #expect(LogStyle.detect(format: .text, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"], fd: fd) == .plain)
        #expect(LogStyle.detect(format: .text, environment: ["JOURNAL_STREAM": "garbage"], fd: fd) == .plain)
        #expect(LogStyle.detect(format: .text, environment: [:], fd: fd) == .plain)
        #expect(LogStyle.detect(format: .json, environment: ["JOURNAL_STREAM": stream], fd: fd) == .json)
    }

    @Test func concurrentLinesNeverInterleave() {
        let lines = Lines()
        let logger = Logger(level: .debug, style: .plain) { lines.add($0) }
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            for j in 0..<250 { logger.info("event", ["thread": String(i), "j": String(j)]) }
        }
        #expect(lines.all.count == 1000)
        #expect(lines.all.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().allSatisfy { $0 != "\n" } })
    }

    @Test func aLoggerOnTheJournalStreamWritesPrefixedLinesToItsDescriptor() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-log")
        let path = dir.appendingPathComponent("journal").path
        let fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0o600)
        #expect(fd >= 0)
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        let logger = Logger(level: .info, format: .text, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"], fd: fd)
        #expect(logger.style == .journal)
        logger.info("listening", ["address": "127.0.0.1:8080"])
        logger.debug("dropped")
        logger.error("model missing", ["path": "/srv/m"])
        logger.reopen()
        #expect(logger.flush())
        close(fd)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written == "<6>listening address=127.0.0.1:8080\n<3>model missing path=/srv/m\n")
    }
}
