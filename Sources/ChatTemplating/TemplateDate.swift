import Foundation

/// The wall-clock time `strftime_now` formats. transformers calls
/// `datetime.now()` (local time, no zone); callers pass the moment and the
/// zone, or pin fields for reproducible renders.
public struct TemplateDate: Sendable, Equatable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int, microsecond: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second; self.microsecond = microsecond
    }

    /// The moment as a local time in `timeZone` (Gregorian calendar).
    public init(_ date: Date, timeZone: TimeZone = .current) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        self.init(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1, hour: c.hour ?? 0,
                  minute: c.minute ?? 0, second: c.second ?? 0, microsecond: (c.nanosecond ?? 0) / 1000)
    }

    /// Whether Python's `datetime` can hold this time: a year from 1 to
    /// 9999 (`datetime.MINYEAR`, `MAXYEAR`), a month 1–12, a day that month
    /// has in the proleptic Gregorian calendar, and a valid time of day.
    /// `datetime(0, 6, 1)` is "ValueError: year 0 is out of range".
    public var isValid: Bool {
        guard (1...9999).contains(year), (1...12).contains(month) else { return false }
        let lengths = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...lengths[month - 1]).contains(day) && (0...23).contains(hour) && (0...59).contains(minute)
            && (0...59).contains(second) && (0...999_999).contains(microsecond)
    }

    private var isLeapYear: Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// Day of the week, 0 = Monday … 6 = Sunday (`date.weekday()`), for a
    /// valid date (`isValid`).
    var weekday: Int {
        // Days since 0001-01-01 (a Monday) in the proleptic Gregorian calendar.
        (ordinal - 1) % 7
    }

    /// Day of the year, 1…366.
    var yearDay: Int {
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        return cumulative[max(0, min(11, month - 1))] + day + (isLeapYear && month > 2 ? 1 : 0)
    }

    /// Proleptic Gregorian ordinal, 0001-01-01 = 1 (`date.toordinal()`).
    var ordinal: Int {
        let y = year - 1
        return y * 365 + y / 4 - y / 100 + y / 400 + yearDay
    }
}
