import Foundation
import Glibc

extension AdapterResource {
    /// RFC 3339 in UTC with milliseconds, "2026-12-06T10:18:13.123Z" — what
    /// ISO8601DateFormatter writes with `.withInternetDateTime` and
    /// `.withFractionalSeconds` — built by hand: creating that formatter
    /// costs about a millisecond, and a listing page made one per adapter.
    /// `date` carries whole milliseconds (the registry stores them).
    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let wholeSeconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        var seconds = time_t(wholeSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(Int(parts.tm_year) + 1900, 4) + "-" + digits(Int(parts.tm_mon) + 1, 2) + "-" + digits(Int(parts.tm_mday), 2)
            + "T" + digits(Int(parts.tm_hour), 2) + ":" + digits(Int(parts.tm_min), 2) + ":" + digits(Int(parts.tm_sec), 2)
            + "." + digits(Int(ms - wholeSeconds * 1000), 3) + "Z"
    }
}
