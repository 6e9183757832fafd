import ChatTemplating
import Testing

/// `strftime_now`'s weekdays over the whole range of Python's `datetime`
/// (years 1–9999, proleptic Gregorian), checked against Zeller's
/// congruence, which computes them another way; dates Python cannot hold
/// are refused instead of trapping.
@Suite struct StrftimeWeekdayTests {
    private static let names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Zeller's congruence for the Gregorian calendar, as 0 = Monday … 6 = Sunday.
    private static func zellerWeekday(year: Int, month: Int, day: Int) -> Int {
        // January and February count as months 13 and 14 of the year before.
        let m = month < 3 ? month + 12 : month
        let y = month < 3 ? year - 1 : year
        let k = y % 100, j = y / 100
        let h = (day + 13 * (m + 1) / 5 + k + k / 4 + j / 4 + 5 * j) % 7  // 0 = Saturday
        return (h + 5) % 7
    }

    private static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @Test func weekdaysFromYear1To9999MatchZellersCongruence() throws {
        let template = try ChatTemplate(source: "{{ strftime_now('%A|%a|%u|%w') }}")
        var checked = 0
        for year in 1...9999 {
            var days = [(1, 1), (2, 28), (3, 1), (6, 1), (12, 31)]
            if Self.isLeap(year) { days.append((2, 29)) }
            for (month, day) in days {
                let w = Self.zellerWeekday(year: year, month: month, day: day)
                let name = Self.names[w]
                let expected = "\(name)|\(name.prefix(3))|\(w + 1)|\((w + 1) % 7)"
                let got = try template.render([], date: TemplateDate(year: year, month: month, day: day))
                if got != expected { Issue.record("\(year)-\(month)-\(day): \(got), expected \(expected)") }
                checked += 1
            }
        }
        #expect(checked > 50_000)
    }

    @Test func knownDaysHaveTheirWeekdays() throws {
        // Python: date(1, 1, 1), date(2000, 2, 29), date(9999, 12, 31) .strftime('%A').
        let template = try ChatTemplate(source: "{{ strftime_now('%A') }}")
        #expect(try template.render([], date: TemplateDate(year: 1, month: 1, day: 1)) == "Monday")
        #expect(try template.render([], date: TemplateDate(year: 2000, month: 2, day: 29)) == "Tuesday")
        #expect(try template.render([], date: TemplateDate(year: 9999, month: 12, day: 31)) == "Friday")
    }

    @Test(arguments: [(0, 6, 1), (0, 1, 1), (-1, 12, 31), (10_000, 1, 1), (Int.max, 1, 1), (Int.min, 1, 1),
                      (2026, 2, 29), (2026, 4, 31), (2026, 13, 1), (2026, 0, 10), (2026, 1, 0)])
    func aDatePythonsDatetimeCannotHoldIsAValueErrorNotATrap(_ year: Int, _ month: Int, _ day: Int) throws {
        let date = TemplateDate(year: year, month: month, day: day)
        #expect(!date.isValid)
        for directive in ["%a", "%A", "%u", "%w", "%U", "%W", "%V", "%G", "%j", "%b", "%c"] {
            let template = try ChatTemplate(source: "{{ strftime_now('\(directive)') }}")
            #expect(throws: TemplateError.self) { try template.render([], date: date) }
            do { _ = try template.render([], date: date) } catch { #expect(error.kind == .value, "\(directive)") }
        }
    }

    @Test func validityFollowsPythonsDatetime() {
        #expect(TemplateDate(year: 1, month: 1, day: 1).isValid)
        #expect(TemplateDate(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 999_999).isValid)
        #expect(TemplateDate(year: 2024, month: 2, day: 29).isValid)
        #expect(TemplateDate(year: 2000, month: 2, day: 29).isValid)
        #expect(!TemplateDate(year: 1900, month: 2, day: 29).isValid)
        #expect(!TemplateDate(year: 2026, month: 6, day: 1, hour: 24).isValid)
        #expect(!TemplateDate(year: 2026, month: 6, day: 1, microsecond: 1_000_000).isValid)
    }
}
