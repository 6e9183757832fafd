import ChatTemplating
import Foundation
import Synchronization
import Testing

/// Long flat chains (`x.a.a.a…`, `1 + 1 + 1…`, `x|f|f|f…`) are parsed in a
/// loop but are trees as deep as they are long; checking, rendering and
/// freeing such a tree recursed once per link and overflowed the stack at
/// about 50,000 links. They are refused while parsing, at the link that
/// passes `maxTreeDepth`, naming the limit and the position. (A stack
/// overflow would kill the test runner: each test finishing is the point.)
@Suite struct TreeDepthLimitTests {
    private let date = TemplateDate(year: 2026, month: 7, day: 26)

    /// One link of each kind of chain, and the text that starts the chain.
    struct Chain: Sendable, CustomTestStringConvertible {
        let start: String
        let link: String
        var testDescription: String { "\(start)\(link)\(link)…" }
    }

    static let chains = [
        Chain(start: "x", link: ".a"), Chain(start: "x", link: "[0]"), Chain(start: "x", link: "()"),
        Chain(start: "x", link: "|upper"), Chain(start: "x", link: "|replace('a', 'b')"), Chain(start: "x", link: " is divisibleby(1)"),
        Chain(start: "1", link: " + 1"), Chain(start: "1", link: " - 1"), Chain(start: "1", link: " * 1"),
        Chain(start: "1", link: " // 1"), Chain(start: "1", link: " ** 1"), Chain(start: "1", link: " and 1"),
        Chain(start: "1", link: " or 1"), Chain(start: "1", link: " if x"),
    ]

    private func parseError(_ source: String, limits: TemplateLimits = TemplateLimits()) -> TemplateError? {
        do {
            _ = try ChatTemplate(source: source, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: chains, [50_000, 1_000_000])
    func aLongChainIsRefusedAtTheTreeDepthLimitWithItsPosition(_ chain: Chain, links: Int) throws {
        let prefix = "{{ " + chain.start
        let source = prefix + String(repeating: chain.link, count: links) + " }}"
        let error = try #require(parseError(source))
        #expect(error.kind == .limit(.treeDepth))
        #expect(error.message.contains("deeper than 1000 levels"), "\(error.message)")
        #expect(error.description.hasPrefix("line 1, column "), "\(error.description)")
        // Refused at the link that passes the limit, not after reading all of them.
        let column = try #require(error.column)
        let linkColumns = (998...1_000).map { prefix.count + 1 + $0 * chain.link.count + (chain.link.hasPrefix(" ") ? 1 : 0) }
        #expect(error.line == 1)
        #expect(linkColumns.contains(column), "column \(column), links start at \(linkColumns)")
    }

    @Test(arguments: chains)
    func aChainOfAHundredLinksParsesAndRunsWithinTheLimits(_ chain: Chain) throws {
        let source = "{{ " + chain.start + String(repeating: chain.link, count: 100) + " }}"
        let template = try ChatTemplate(source: source)
        do {
            _ = try template.render([("x", .string("x"))], date: date)
        } catch {
            // Calling a string or taking its attribute fails, as in jinja2, but no limit is reached.
            if case .limit = error.kind { Issue.record("\(error)") }
        }
    }

    @Test func aChainJustBelowTheLimitRendersAndOneLinkMoreIsRefused() throws {
        let below = "{{ 1" + String(repeating: " + 1", count: 999) + " }}"
        #expect(try ChatTemplate(source: below).render([], date: date) == "1000")
        let over = "{{ 1" + String(repeating: " + 1", count: 1_000) + " }}"
        #expect(parseError(over)?.kind == .limit(.treeDepth))
        var limits = TemplateLimits()
        limits.maxTreeDepth = 50
        #expect(parseError("{{ 1" + String(repeating: " + 1", count: 50) + " }}", limits: limits)?.kind == .limit(.treeDepth))
        #expect(parseError("{{ 1" + String(repeating: " + 1", count: 49) + " }}", limits: limits) == nil)
    }

    @Test func theHeightOfANestedChainCountsTowardsTheChainAroundIt() {
        // 600 + 600 links: neither chain alone reaches the limit, the tree does.
        let inner = "x" + String(repeating: ".a", count: 600)
        let outer = String(repeating: ".a", count: 600)
        for source in ["{{ (\(inner))\(outer) }}", "{{ f(\(inner))\(outer) }}", "{{ [\(inner)]\(outer) }}",
                       "{{ x[\(inner)]\(outer) }}", "{{ x|f(\(inner))\(outer.replacingOccurrences(of: ".a", with: "|f")) }}",
                       "{{ (\(inner)) + 1\(String(repeating: " + 1", count: 600)) }}", "{{ -(\(inner))\(outer) }}"] {
            #expect(parseError(source)?.kind == .limit(.treeDepth), "\(source.prefix(20))")
        }
    }

    @Test func siblingsDoNotAddUp() throws {
        // 2,000 items of 600 links each: wide, but only 602 levels deep.
        let item = "x" + String(repeating: ".a", count: 600)
        let sources = [
            "{{ [" + Array(repeating: item, count: 2_000).joined(separator: ", ") + "]|length }}",
            "{{ f(" + Array(repeating: item, count: 2_000).joined(separator: ", ") + ") }}",
            "{{ " + Array(repeating: item, count: 2_000).joined(separator: " ~ ") + " }}",
            "{{ " + Array(repeating: item, count: 2_000).joined(separator: " == ") + " }}",
        ]
        for source in sources { #expect(parseError(source) == nil, "\(source.prefix(20))") }
    }

    @Test func statementsSideBySideStayFlat() throws {
        let outputs = String(repeating: "{{ x }}\n", count: 100_000)
        // jinja2 drops the template's one final newline (keep_trailing_newline=False).
        #expect(try ChatTemplate(source: outputs).render([("x", .string("y"))], date: date).utf8.count == 199_999)
        let elifs = "{% if x == 0 %}0" + (1..<100_000).map { "{% elif x == \($0) %}\($0)" }.joined() + "{% endif %}"
        #expect(try ChatTemplate(source: elifs).render([("x", .integer(99_999))], date: date) == "99999")
        let sets = (0..<100_000).map { "{% set y = \($0) %}" }.joined() + "{{ y }}"
        #expect(try ChatTemplate(source: sets).render([], date: date) == "99999")
        let blockFilters = "{% filter " + Array(repeating: "upper", count: 100_000).joined(separator: "|") + " %}a{% endfilter %}"
        #expect(try ChatTemplate(source: blockFilters).render([], date: date) == "A")
    }

    /// Parses each source on a thread with `stackSize` bytes of stack: nil
    /// for a template that parsed, else the kind of error.
    private func parseKinds(_ sources: [String], stackSize: Int) -> [TemplateError.Kind?] {
        let outcome = Mutex<[TemplateError.Kind?]>([])
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            for source in sources {
                let kind: TemplateError.Kind?
                do throws(TemplateError) {
                    _ = try ChatTemplate(source: source)
                    kind = nil
                } catch {
                    kind = error.kind
                }
                outcome.withLock { $0.append(kind) }
            }
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return outcome.withLock { $0 }
    }

    @Test func aTreeAtTheLimitIsCheckedAndFreedOnAOneMebibyteStack() {
        // What walks the tree (the filter-name check, the name collector,
        // Swift freeing it) fits on 1 MiB at the limit, and when refusing
        // just past it.
        let atLimit = "{{ x" + String(repeating: "|trim", count: 998) + " }}"
        let pastLimit = "{{ x" + String(repeating: "|trim", count: 100_000) + " }}"
        #expect(parseKinds([atLimit, pastLimit], stackSize: 1 << 20) == [nil, .limit(.treeDepth)])
    }

    @Test func aThreadWithAStackTooSmallForATallTreeGetsTheLimitErrorNotACrash() {
        let atLimit = "{{ x" + String(repeating: "|trim", count: 998) + " }}"
        // The parser's own stack guard or the walks' guard refuses it, whichever runs short first.
        let kinds = parseKinds([atLimit, atLimit], stackSize: 192 << 10)
        #expect(kinds.allSatisfy { [nil, .limit(.parseDepth), .limit(.treeDepth)].contains($0) }, "\(kinds)")
    }

    @Test func realTemplatesParseWithAFiftiethOfTheLimit() throws {
        // The 26 templates of the golden corpus need fewer than 20 levels.
        var limits = TemplateLimits()
        limits.maxTreeDepth = 50
        for name in GoldenCorpus.templates.keys.sorted() {
            let source = try String(contentsOf: GoldenCorpus.templateURL(name), encoding: .utf8)
            #expect(parseError(source, limits: limits) == nil, "\(name)")
        }
    }
}
