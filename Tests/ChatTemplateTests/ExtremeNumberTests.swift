import ChatTemplating
import Testing

/// Numbers at the edges of Int64 and of Double (±2^63, ±inf, NaN — a
/// request's JSON `1e400` is inf) reach widths, counts, ranges, rounding and
/// tests. Each expression renders or fails with a `TemplateError`; none may
/// trap, which would take the daemon down (an adapter upload renders its
/// template). Where Python gives a value we can represent, the value is
/// checked against what jinja2 renders.
@Suite struct ExtremeNumberTests {
    private let date = TemplateDate(year: 2026, month: 7, day: 26)

    /// The output, or the TemplateError it failed with (parsing and
    /// rendering throw nothing else: their errors are typed).
    private func render(_ source: String) -> (output: String?, error: TemplateError?) {
        do {
            return (try ChatTemplate(source: source).render([], date: date), nil)
        } catch {
            return (nil, error)
        }
    }

    static let values = ["9223372036854775807", "(-9223372036854775807 - 1)", "(-9223372036854775807)", "4611686018427387904",
                         "(-4611686018427387905)", "1e400", "(-1e400)", "(1e400 - 1e400)", "1e19", "-1e19"]
    static let shapes = [
        "range({v})|length", "range(-{v}, {v})|length", "range({v}, -1)|length", "range(0, {v}, 3)|length", "range(-5, 5, {v})|list",
        "15|round({v})", "1.5|round({v})", "{v}|round(-1)", "{v}|round(-18)", "{v}|int", "{v}|abs", "-{v}", "{v} // -1", "{v} % -1",
        "{v} * 2", "{v} + 1", "{v} ** 2", "2 ** {v}", "'abc'[{v}:]", "'abc'[::{v}]", "[1, 2][{v}]", "'x' * {v}", "[1] * {v}",
        "'abc'.center({v})", "'abc'.zfill({v})", "'abc'.ljust({v})", "'abc'|center({v})", "'abc'|truncate({v})", "'abc'|indent({v})",
        "'abc'.split('b', {v})", "[1, 2]|batch({v})|list", "[1, 2]|slice({v})|list|length", "'%c' % {v}", "'%d' % {v}", "'%*d' % ({v}, 1)",
        "'%.*f' % ({v}, 1.0)", "'{{:d}}'.format({v})", "'{{:,}}'.format({v})", "[{v}, {v}]|sum", "{v} is divisibleby 0", "{v} is odd",
        "{v} is even", "{v} in range(3)", "range(10)[::{v}]|list", "'abc'.expandtabs({v})", "'10'|int(0, {v})",
    ]

    @Test func noExtremeNumberTrapsTheRenderer() {
        var rendered = 0, refused = 0
        for shape in Self.shapes {
            for v in Self.values {
                let result = render("{{ " + shape.replacingOccurrences(of: "{v}", with: v) + " }}")
                if result.output != nil { rendered += 1 } else if result.error != nil { refused += 1 }
            }
        }
        #expect(rendered + refused == Self.shapes.count * Self.values.count)
        #expect(rendered > 0 && refused > 0)
    }

    /// jinja2's outputs (rendered with jinja2 3.1.6) where both sides agree on a value.
    @Test(arguments: [
        ("{{ 15|round(-400) }}", "0"), ("{{ 1.5|round(-400) }}", "0.0"), ("{{ -1.5|round(-400) }}", "-0.0"),
        ("{{ 25|round(-1) }}|{{ 15|round(-1) }}|{{ -25|round(-1) }}|{{ -35|round(-1) }}|{{ 5|round(-1) }}", "20|20|-20|-40|0"),
        ("{{ 1234567|round(-3) }}|{{ -1500|round(-3) }}|{{ 2500|round(-3) }}", "1235000|-2000|2000"),
        ("{{ 5000000000000000000|round(-19) }}|{{ 4999999999999999999|round(-19) }}", "0|0"),
        ("{{ 1e400 is odd }}|{{ 1e400 is even }}|{{ (1e400 - 1e400) is odd }}", "False|False|False"),
        ("{{ 'abc'|truncate(9223372036854775807) }}", "abc"),
        ("{{ range(-4611686018427387904, 4611686018427387904, 4611686018427387904)|list }}",
         "[-4611686018427387904, 0]"),
    ])
    func valuesMatchJinja2(_ source: String, _ expected: String) {
        #expect(render(source).output == expected)
    }

    @Test func resultsPastSixtyFourBitsAndHugeSizesAreErrorsNamingThem() {
        #expect(render("{{ 9223372036854775807|round(-1) }}").error?.message.contains("64 bits") == true)
        for source in ["{{ range(-4611686018427387904, 4611686018427387904)|length }}", "{{ [1] * 4611686018427387904 }}",
                       "{{ 'abc'.center(9223372036854775807) }}", "{{ '%*d' % (-9223372036854775807 - 1, 1) }}"] {
            let e = render(source).error
            #expect(e != nil && e?.kind != .syntax, "\(source): \(String(describing: e))")
        }
    }
}
