/// Severity of a log line, ordered from chattiest to most severe.
///
/// The raw values are the `log_level` spellings; `syslogPriority` is the
/// `<N>` prefix journald understands (sd-daemon.h: SD_DEBUG 7, SD_INFO 6,
/// SD_NOTICE 5, SD_WARNING 4, SD_ERR 3).
public enum LogLevel: String, CaseIterable, Comparable, Sendable {
    case debug, info, notice, warning, error

    public var syslogPriority: Int {
        switch self {
        case .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        }
    }

    private var rank: Int { 7 - syslogPriority }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}
