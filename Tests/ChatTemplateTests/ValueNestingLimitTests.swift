import ChatTemplating
import Testing

/// A value wrapped once per statement or loop iteration (`[x]`, `(x,)`,
/// `{'a': x}`, `x|batch(1)`, an iterator or loop over it…) grew without
/// bound and overflowed the stack when Swift freed it, at about 50,000
/// levels: it is refused where it would be kept beyond `Value.maxNesting`
/// levels, the depth at which printing it already stopped. Chains of
/// namespaces, which may nest without bound as in Python, are freed one
/// after another. (A stack overflow would kill the test runner.)
@Suite struct ValueNestingLimitTests {
    private let date = TemplateDate(year: 2026, month: 7, day: 26)

    private func render(_ source: String) throws(TemplateError) -> String {
        try ChatTemplate(source: source).render([], date: date)
    }

    /// `{% set ns.x = WRAP %}` 900,000 times, `ns.x` starting as `start`.
    private static func wrapped(_ start: String, _ wrap: String) -> String {
        "{% set ns = namespace(x=\(start)) %}{% for i in range(100000) %}{% for j in range(9) %}"
            + "{% set ns.x = \(wrap) %}{% endfor %}{% endfor %}done"
    }

    static let growing: [String] = [
        wrapped("[]", "[ns.x]"), wrapped("()", "(ns.x,)"), wrapped("{}", "{'a': ns.x}"), wrapped("{}", "dict(a=ns.x)"),
        wrapped("[1]", "ns.x|batch(1)|list"), wrapped("[]", "[ns.x]|select"), wrapped("[]", "[ns.x].count"),
        wrapped("{}", "{'a': ns.x}.items()"), wrapped("[]", "[0]|map('default', [ns.x|list], true)"),
        wrapped("[]", "[ns.x]|selectattr('real', 'ne', ns.x)"),
        "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% for j in range(9) %}"
            + "{% set ns.x = namespace(inner=[ns.x]).inner %}{% endfor %}{% endfor %}done",
        "{% macro keep(v) %}{% set ns.x = v %}{% endmacro %}{% set ns = namespace(x=[]) %}{% for i in range(100000) %}"
            + "{{ keep([ns.x]) }}{% endfor %}done",
        "{% set x = [] %}" + String(repeating: "{% set x = [x] %}", count: 100_000) + "done",
        "{% set ns = namespace(x=[1]) %}{% for i in range(100000) %}{% for j in range(9) %}{% set ns.it = [ns.x]|map('batch', 1) %}"
            + "{% for y in ns.it %}{% set ns.x = y %}{% endfor %}{% endfor %}{% endfor %}done",
        "{% set ns = namespace(x=[1]) %}{% for i in range(100000) %}{% for j in range(9) %}{% for y in [ns.x] %}"
            + "{% set ns.x = [loop.previtem, y] %}{% endfor %}{% endfor %}{% endfor %}done",
    ]

    @Test(arguments: growing)
    func aValueWrappedOncePerStepIsRefusedAtTheNestingLimit(_ source: String) {
        do {
            let output = try render(source)
            Issue.record("rendered \(output.prefix(40))")
        } catch {
            #expect(error.kind == .limit(.valueNesting), "\(error)")
            #expect(error.message == "value nested deeper than 1000 levels")
            #expect(error.line == 1 && error.column != nil, "\(error)")
        }
    }

    @Test func aValueAtTheLimitIsKeptAndPrintedAndOneLevelMoreIsRefused() throws {
        let atLimit = try render("{% set ns = namespace(x=[]) %}{% for i in range(999) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}")
        #expect(atLimit == String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000))
        #expect(throws: TemplateError.self) {
            try render("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}")
        }
    }

    @Test func chainsOfNamespacesIteratorsAndLoopsAreFreedOneAfterAnother() throws {
        // 500,000 namespaces each holding the previous one: as in Python, no limit.
        let chain = "{% set ns = namespace(x=none) %}{% for i in range(500) %}{% for j in range(1000) %}"
            + "{% set ns.x = namespace(x=ns.x) %}{% endfor %}{% endfor %}{{ ns.x.x.x.x is defined }}"
        #expect(try render(chain) == "True")
        // Chains joined end to end through a namespace reached after it was wrapped.
        let joined = "{% set ns = namespace(tail=none, head=none) %}{% for r in range(100) %}{% set t = namespace(x=none) %}"
            + "{% set ns.cur = t %}{% for i in range(999) %}{% set ns.cur = namespace(x=ns.cur) %}{% endfor %}"
            + "{% if ns.tail %}{% set old = ns.tail %}{% set old.x = ns.cur %}{% else %}{% set ns.head = ns.cur %}{% endif %}"
            + "{% set ns.tail = t %}{% endfor %}done"
        #expect(try render(joined) == "done")
        // Each iterator keeps the previous one as its map default: a chain of objects, not a deep value.
        let iterators = "{% set ns = namespace(x=[]) %}{% for i in range(500) %}{% for j in range(1000) %}"
            + "{% set ns.x = [1]|map(attribute='missing', default=ns.x) %}{% endfor %}{% endfor %}done"
        #expect(try render(iterators) == "done")
        // Each loop iterates over a list holding the previous loop.
        let loops = "{% set ns = namespace(l=none) %}{% for i in range(100000) %}{% for j in range(4) %}"
            + "{% for x in [1, ns.l] %}{% set ns.l = loop %}{% break %}{% endfor %}{% endfor %}{% endfor %}done"
        #expect(try render(loops) == "done")
    }

    @Test func accumulatingThreeThousandItemsStaysWithinTheBudgets() throws {
        // Each assignment walks the whole list (as the concatenation copies it): quadratic, as in jinja2.
        let source = "{% set ns = namespace(items=[]) %}{% for i in range(3000) %}{% set ns.items = ns.items + [{'n': [i]}] %}"
            + "{% endfor %}{{ ns.items|length }} {{ ns.items[-1].n }}"
        #expect(try render(source) == "3000 [2999]")
    }

    @Test func aValueSharedManyTimesIsWalkedOnce() throws {
        // 2⁶⁰ paths through 60 lists.
        let source = "{% set x = [1] %}" + String(repeating: "{% set x = [x, x] %}", count: 60) + "{{ x|length }}"
        #expect(try render(source) == "2")
    }
}
