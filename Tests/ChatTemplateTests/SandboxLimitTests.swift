import ChatTemplating
import Testing

/// Hostile templates stop with the typed limit error instead of hanging,
/// exhausting memory or overflowing the stack. (Each test finishing at all
/// is the time bound; jinja2 itself would hang or crash on most of these.)
@Suite struct SandboxLimitTests {
    private let date = TemplateDate(year: 2026, month: 7, day: 26)

    private func renderError(_ source: String, limits: TemplateLimits = TemplateLimits()) -> TemplateError? {
        do {
            _ = try ChatTemplate(source: source, limits: limits).render([], date: date, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func nestedHugeLoopsStopAtTheIterationLimit() {
        let e = renderError("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
        #expect(e?.kind == .limit(.loopIterations))
        var limits = TemplateLimits()
        limits.maxLoopIterations = 1000
        #expect(renderError("{% for i in range(1001) %}{% endfor %}", limits: limits)?.kind == .limit(.loopIterations))
        #expect(renderError("{% for i in range(1000) %}{% endfor %}", limits: limits) == nil)
    }

    @Test func aGigabyteOfOutputStopsAtTheOutputLimit() {
        let e = renderError("{% for i in range(100000) %}{{ 'x' * 10000 }}{% endfor %}")
        #expect(e?.kind == .limit(.outputBytes))
    }

    @Test func aGigabyteStringIsRefusedBeforeItIsBuilt() {
        #expect(renderError("{{ 'x' * 1000000000 }}")?.kind == .limit(.outputBytes))
        #expect(renderError("{{ 'x' * 10 ** 18 }}")?.kind == .limit(.outputBytes))
        #expect(renderError("{{ ['x'] * 10 ** 12 }}")?.kind == .limit(.allocatedBytes))
    }

    @Test func doublingAStringStopsAtTheStringLimit() {
        let e = renderError("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
        #expect(e?.kind == .limit(.outputBytes))
    }

    @Test func keepingManyLargeStringsStopsAtTheMemoryBudget() {
        var limits = TemplateLimits()
        limits.maxAllocatedBytes = 32 << 20
        let source = "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [('x' * 1000000) ~ i] %}{% endfor %}"
        #expect(renderError(source, limits: limits)?.kind == .limit(.allocatedBytes))
    }

    @Test func unboundedMacroRecursionStopsAtTheCallDepth() {
        let e = renderError("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}")
        #expect(e?.kind == .limit(.callDepth))
        let loop = renderError("{% set t = [[]] %}{% for x in t recursive %}{{ loop(t) }}{% endfor %}")
        #expect(loop?.kind == .limit(.callDepth))
    }

    @Test func deepEvaluationStopsAtTheEvaluationDepth() {
        // A macro body nested 90 levels deep, called recursively: the
        // evaluator's own depth runs out before the call depth does.
        let nested = String(repeating: "{% if true %}", count: 90) + "{{ r(n + 1) }}" + String(repeating: "{% endif %}", count: 90)
        var limits = TemplateLimits()
        limits.maxCallDepth = 10_000
        let e = renderError("{% macro r(n) %}" + nested + "{% endmacro %}{{ r(0) }}", limits: limits)
        #expect(e?.kind == .limit(.evaluationDepth))
    }

    @Test func busyLoopsStopAtTheStepLimit() {
        let source = "{% for i in range(100000) %}{% for j in range(9) %}{% set x = [i, j]|map('string')|join %}{% endfor %}{% endfor %}"
        var limits = TemplateLimits()
        limits.maxSteps = 100_000
        #expect(renderError(source, limits: limits)?.kind == .limit(.steps))
        // Repeated linear searches count their work, not just the expression.
        let search = "{% set big = range(100000)|list %}{% for i in range(10000) %}{% if -1 in big %}{% endif %}{% endfor %}"
        limits.maxSteps = 2_000_000
        #expect(renderError(search, limits: limits)?.kind == .limit(.steps))
    }

    @Test func hugeRangesAreRefusedAsJinja2SandboxDoes() {
        #expect(renderError("{% for i in range(10 ** 9) %}{% endfor %}")?.kind == .limit(.rangeLength))
        #expect(renderError("{{ range(100001)|length }}")?.kind == .limit(.rangeLength))
        #expect(renderError("{{ range(100000)|length }}") == nil)
    }

    @Test func deeplyNestedValuesStopAtTheNestingLimit() {
        let e = renderError("{% set ns = namespace(x=[]) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}")
        #expect(e?.kind == .limit(.valueNesting))
        let json = renderError("{% set ns = namespace(x=[]) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|tojson }}")
        #expect(json?.kind == .limit(.valueNesting))
        let cycle = renderError("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}")
        #expect(cycle?.kind == .limit(.valueNesting))
    }

    @Test func deeplyNestedTemplatesAreRefusedWhileParsing() {
        for (open, close) in [("(", ")"), ("[", "]"), ("{'a': ", "}"), ("-", ""), ("not ", ""), ("1 if x else ", "")] {
            let source = "{{ " + String(repeating: open, count: 5_000) + "1" + String(repeating: close, count: 5_000) + " }}"
            #expect(throws: TemplateError.self) { try ChatTemplate(source: source) }
            #expect((try? ChatTemplate(source: source)) == nil)
            do { _ = try ChatTemplate(source: source) } catch { #expect(error.kind == .limit(.parseDepth), "\(open)") }
        }
        let blocks = String(repeating: "{% if true %}", count: 5_000) + String(repeating: "{% endif %}", count: 5_000)
        do { _ = try ChatTemplate(source: blocks); Issue.record("parsed") } catch { #expect(error.kind == .limit(.parseDepth)) }
        let loops = String(repeating: "{% for x in y %}", count: 5_000)
        do { _ = try ChatTemplate(source: loops); Issue.record("parsed") } catch { #expect(error.kind == .limit(.parseDepth)) }
    }

    @Test func modestNestingStillParses() throws {
        let source = "{{ " + String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50) + " }}"
        #expect(try ChatTemplate(source: source).render([], date: date) == "1")
    }

    @Test func quadraticSearchInputsStayLinear() throws {
        // A long needle that almost matches everywhere: naive search would be quadratic.
        let source = "{% set h = 'a' * 1000000 %}{% set n = 'a' * 5000 ~ 'b' %}{{ n in h }} {{ h.count(n) }} {{ h.replace(n, '') == h }}"
        #expect(try ChatTemplate(source: source).render([], date: date) == "False 0 True")
    }
}
