#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a log line is laid out on the wire.
public enum LogStyle: Sendable, Equatable {
    /// `2026-11-29T12:17:26.123Z info message key=value` — a terminal or a file.
    case plain
    /// `<6>message key=value` — stderr is connected to journald, which adds
    /// the timestamp and reads the `<N>` syslog priority prefix (sd-daemon(3)).
    case journal
    /// `{"time":"…","level":"info","msg":"…","key":"value"}` — one object per line.
    case json

    /// The style for `format` on file descriptor `fd`: `json` when asked;
    /// otherwise `journal` when `$JOURNAL_STREAM` ("device:inode", set by
    /// systemd for a unit whose stderr is the journal, systemd.exec(5)) names
    /// `fd` itself — a child whose stderr was redirected elsewhere inherits
    /// the variable but must not emit prefixes — else `plain`.
    public static func detect(format: LogFormat, environment: [String: String], fd: Int32 = 2) -> LogStyle {
        if format == .json { return .json }
        guard let stream = environment["JOURNAL_STREAM"] else { return .plain }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return .plain }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .plain }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode ? .journal : .plain
    }
}
