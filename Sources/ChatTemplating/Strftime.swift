/// `datetime.strftime` in the C locale on glibc, which is what
/// transformers' `strftime_now` gives on a Linux host: Python itself
/// expands `%f`, `%z`, `%Z` (empty for a naive time) and glibc the rest,
/// including the `-` (no padding), `_` (space padding), `0` and `^`
/// (upper case) flags. Unknown directives are copied as written.
enum Strftime {
    private static let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let months = ["January", "February", "March", "April", "May", "June", "July",
                                 "August", "September", "October", "November", "December"]

    static func format(_ format: String, _ t: TemplateDate) -> String {
        let chars = Array(format.unicodeScalars)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "%", i + 1 < chars.count else { out.unicodeScalars.append(c); i += 1; continue }
            var j = i + 1
            var flag: Unicode.Scalar? = nil
            if "-_0^#".unicodeScalars.contains(chars[j]), j + 1 < chars.count { flag = chars[j]; j += 1 }
            if let text = expand(chars[j], t, flag: flag) {
                out += text
            } else {
                out.unicodeScalars.append(contentsOf: chars[i...j])
            }
            i = j + 1
        }
        return out
    }

    private static func number(_ v: Int, _ width: Int, _ pad: Character, flag: Unicode.Scalar?) -> String {
        let digits = String(abs(v))
        let padChar: Character? = flag == "-" ? nil : (flag == "_" ? " " : (flag == "0" ? "0" : pad))
        let padded = padChar.map { String(repeating: $0, count: max(0, width - digits.count)) + digits } ?? digits
        return (v < 0 ? "-" : "") + padded
    }

    private static func text(_ s: String, flag: Unicode.Scalar?) -> String {
        flag == "^" || flag == "#" ? s.uppercased() : s
    }

    /// ISO 8601 week-based year and week number (weeks start on Monday; week 1 holds the year's first Thursday).
    private static func isoWeek(_ t: TemplateDate) -> (year: Int, week: Int) {
        func weeks(in y: Int) -> Int {
            func p(_ y: Int) -> Int { (y + y / 4 - y / 100 + y / 400) % 7 }
            return p(y) == 4 || p(y - 1) == 3 ? 53 : 52
        }
        var year = t.year
        var week = (t.yearDay - (t.weekday + 1) + 10) / 7
        if week < 1 {
            year -= 1
            week = weeks(in: year)
        } else if week > weeks(in: year) {
            year += 1
            week = 1
        }
        return (year, week)
    }

    private static func expand(_ d: Unicode.Scalar, _ t: TemplateDate, flag: Unicode.Scalar?) -> String? {
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        let sundayWeekday = (t.weekday + 1) % 7  // 0 = Sunday
        switch d {
        case "a": return text(String(days[t.weekday].prefix(3)), flag: flag)
        case "A": return text(days[t.weekday], flag: flag)
        case "b", "h": return text(String(months[t.month - 1].prefix(3)), flag: flag)
        case "B": return text(months[t.month - 1], flag: flag)
        case "c": return format("%a %b %e %H:%M:%S %Y", t)
        case "C": return number(t.year / 100, 2, "0", flag: flag)
        case "d": return number(t.day, 2, "0", flag: flag)
        case "D", "x": return format("%m/%d/%y", t)
        case "e": return number(t.day, 2, " ", flag: flag)
        case "f": return number(t.microsecond, 6, "0", flag: nil)
        case "F": return format("%Y-%m-%d", t)
        case "G": return number(isoWeek(t).year, 1, "0", flag: flag)
        case "g": return number(isoWeek(t).year % 100, 2, "0", flag: flag)
        case "H": return number(t.hour, 2, "0", flag: flag)
        case "I": return number(hour12, 2, "0", flag: flag)
        case "j": return number(t.yearDay, 3, "0", flag: flag)
        case "k": return number(t.hour, 2, " ", flag: flag)
        case "l": return number(hour12, 2, " ", flag: flag)
        case "m": return number(t.month, 2, "0", flag: flag)
        case "M": return number(t.minute, 2, "0", flag: flag)
        case "n": return "\n"
        case "p": return flag == "#" ? (t.hour < 12 ? "am" : "pm") : (t.hour < 12 ? "AM" : "PM")
        case "P": return t.hour < 12 ? "am" : "pm"
        case "r": return format("%I:%M:%S %p", t)
        case "R": return format("%H:%M", t)
        case "S": return number(t.second, 2, "0", flag: flag)
        case "t": return "\t"
        case "T", "X": return format("%H:%M:%S", t)
        case "u": return number(t.weekday + 1, 1, "0", flag: flag)
        case "U": return number((t.yearDay + 6 - sundayWeekday) / 7, 2, "0", flag: flag)
        case "V": return number(isoWeek(t).week, 2, "0", flag: flag)
        case "w": return number(sundayWeekday, 1, "0", flag: flag)
        case "W": return number((t.yearDay + 6 - t.weekday) / 7, 2, "0", flag: flag)
        case "y": return number(t.year % 100, 2, "0", flag: flag)
        case "Y": return number(t.year, 1, "0", flag: flag)
        case "z", "Z": return ""
        case "%": return "%"
        default: return nil
        }
    }
}
