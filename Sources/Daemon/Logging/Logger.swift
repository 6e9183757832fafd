import Foundation
import OrderedJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line per event on stderr, in the `LogStyle` chosen at startup.
///
/// Fields are `key=value` pairs after the message (logfmt quoting: values with
/// spaces, `"`, `=`, `\` or control characters are double-quoted and escaped),
/// or JSON members, numbers bare (`LogValue`). Messages and values never contain a raw newline, so one
/// event is always one line for journald and log shippers.
///
/// Never log secrets or payloads: no `Authorization` header or bearer token,
/// no prompt or generated text, no adapter weights or uploaded bytes. Log
/// names, sizes, counts, statuses and durations (`access` takes only those,
/// and drops the query string of the path).
///
/// The sink is called under `writing`, so lines from different threads
/// never interleave. A logger on a descriptor writes through a `LogQueue`:
/// logging never waits for the descriptor's reader, and `flush` before exit.
public final class Logger: Sendable {
    /// The least severe level written (SIGHUP may change it: `setLevel`).
    public var level: LogLevel { currentLevel.withLock { $0 } }
    private let currentLevel: Mutex<LogLevel>
    public let style: LogStyle
    private let sink: @Sendable (String) -> Void
    private let queue: LogQueue?
    private let writing = Mutex(())

    /// A logger on stderr (or another descriptor `fd`, which it does not
    /// own); the style comes from `format` and the environment (`LogStyle.detect`).
    /// Lines wait in a `LogQueue` of `queueBytes` for the descriptor.
    public convenience init(level: LogLevel, format: LogFormat,
                            environment: [String: String] = ProcessInfo.processInfo.environment, fd: Int32 = 2,
                            queueBytes: Int = LogQueue.defaultCapacityBytes) {
        let style = LogStyle.detect(format: format, environment: environment, fd: fd)
        let queue = LogQueue(fd: fd, capacityBytes: queueBytes) { count in
            Logger.format(style: style, level: .warning, message: "log lines dropped: the log's reader fell behind",
                          fields: [("dropped", LogValue(count))], date: Date())
        }
        self.init(level: level, style: style, queue: queue, sink: { queue.enqueue($0) })
    }

    /// A logger writing complete lines (with their `\n`) to `sink`.
    public convenience init(level: LogLevel, style: LogStyle, sink: @escaping @Sendable (String) -> Void) {
        self.init(level: level, style: style, queue: nil, sink: sink)
    }

    private init(level: LogLevel, style: LogStyle, queue: LogQueue?, sink: @escaping @Sendable (String) -> Void) {
        self.currentLevel = Mutex(level)
        self.style = style
        self.queue = queue
        self.sink = sink
    }

    /// Waits until the lines logged so far have reached the descriptor, or
    /// `timeout` passes (a reader that never reads must not keep the process
    /// from exiting). True when all were written; always true for a sink.
    @discardableResult
    public func flush(timeout: Duration = .seconds(2)) -> Bool {
        queue?.flush(timeout: timeout) ?? true
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// Changes the least severe level written, from the next event on
    /// (`log_level` is reloaded on SIGHUP).
    public func setLevel(_ level: LogLevel) {
        currentLevel.withLock { $0 = level }
    }

    /// Writes one event if `level` is enabled.
    public func log(_ level: LogLevel, _ message: String, fields: [(String, LogValue)] = [], date: Date = Date()) {
        guard isEnabled(level) else { return }
        let line = Logger.format(style: style, level: level, message: message, fields: fields, date: date)
        writing.withLock { _ in sink(line) }
    }

    public typealias Fields = KeyValuePairs<String, any LogValueConvertible>

    public func debug(_ message: String, _ fields: Fields = [:]) { log(.debug, message, fields: Self.values(fields)) }
    public func info(_ message: String, _ fields: Fields = [:]) { log(.info, message, fields: Self.values(fields)) }
    public func notice(_ message: String, _ fields: Fields = [:]) { log(.notice, message, fields: Self.values(fields)) }
    public func warning(_ message: String, _ fields: Fields = [:]) { log(.warning, message, fields: Self.values(fields)) }
    public func error(_ message: String, _ fields: Fields = [:]) { log(.error, message, fields: Self.values(fields)) }

    private static func values(_ fields: Fields) -> [(String, LogValue)] { fields.map { ($0.key, $0.value.logValue) } }

    /// SIGHUP hook. Logs go to stderr, which belongs to whoever started lorad
    /// (journald, a terminal, a pipe): there is nothing to reopen, so this is
    /// a no-op kept as the one place log-file rotation would go.
    public func reopen() {}

    // MARK: Formatting (pure, for tests)

    /// One complete line, `\n` included.
    public static func format(style: LogStyle, level: LogLevel, message: String,
                              fields: [(String, LogValue)], date: Date) -> String {
        switch style {
        case .plain:
            return "\(timestamp(date)) \(level.rawValue) \(escapeMessage(message))\(logfmt(fields))\n"
        case .journal:
            return "<\(level.syslogPriority)>\(escapeMessage(message))\(logfmt(fields))\n"
        case .json:
            var out = "{\"time\":\"\(timestamp(date))\",\"level\":\"\(level.rawValue)\",\"msg\":\(jsonString(message))"
            for (key, value) in fields {
                // A field may not shadow the three fixed members.
                let name = ["time", "level", "msg"].contains(key) ? key + "_" : key
                out += ",\(jsonString(name)):\(value.isNumber ? value.text : jsonString(value.text))"
            }
            return out + "}\n"
        }
    }

    /// RFC 3339 UTC with milliseconds: `2026-11-29T12:17:26.123Z`.
    public static func timestamp(_ date: Date) -> String {
        // Whole milliseconds first: 951782400.999 is stored as …400.99899…,
        // and splitting off the seconds before rounding would print .998.
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(total >= 0 ? total / 1000 : (total - 999) / 1000)
        let millis = Int(total - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    static func logfmt(_ fields: [(String, LogValue)]) -> String {
        var out = ""
        for (key, value) in fields {
            out += " \(key)=\(quoteValue(value.text))"
        }
        return out
    }

    /// Bare when safe, else `"…"` with `\"`, `\\`, `\n`, `\r`, `\t`, `\u{…}` escapes.
    static func quoteValue(_ value: String) -> String {
        let bare = !value.isEmpty && value.unicodeScalars.allSatisfy {
            $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F
        }
        if bare { return value }
        return "\"" + escapeControl(value, quote: true) + "\""
    }

    /// The message stays unquoted but may not break the line.
    static func escapeMessage(_ message: String) -> String { escapeControl(message, quote: false) }

    private static func escapeControl(_ s: String, quote: Bool) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"" where quote: out += "\\\""
            case "\\" where quote: out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A JSON string literal (RFC 8259 §7).
    static func jsonString(_ s: String) -> String { JSONString.quoted(s) }

    /// write(2) until done; EINTR retried, other errors dropped (a logger
    /// that cannot write has nowhere to report it).
    static func writeAll(fd: Int32, _ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + offset, buffer.count - offset)
            }
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
        bytes.removeAll()
    }
}
