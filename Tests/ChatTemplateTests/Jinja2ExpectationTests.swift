import ChatTemplate
import OrderedJSON
import Testing

/// Our renderings equal real jinja2's (as transformers configures it), or
/// fail with the corresponding error, on the generated expectations.
@Suite struct Jinja2ExpectationTests {
    static let date = TemplateDate(year: 2026, month: 7, day: 26)

    @Test func expectationsAreLoaded() {
        #expect(Jinja2Expectations.features.count > 2000)
        #expect(Jinja2Expectations.conversations.count == 26 * 16 * 2)
    }

    @Test(arguments: Jinja2Expectations.features)
    func featureRendersAsJinja2(_ c: Jinja2Expectations.Case) {
        check(c, Result { () throws(TemplateError) in
            try ChatTemplate(source: c.template).render(c.variables, date: Jinja2ExpectationTests.date)
        })
    }

    @Test(arguments: Jinja2Expectations.conversations)
    func realTemplateRendersNewConversationAsJinja2(_ c: Jinja2Expectations.Case) throws {
        let template = try #require(try GoldenCorpus.templates[c.template]?.get())
        check(c, Result { () throws(TemplateError) in try template.render(c.variables, date: Jinja2ExpectationTests.date) })
    }

    private func check(_ c: Jinja2Expectations.Case, _ result: Result<String, TemplateError>) {
        switch (result, c.expected) {
        case (.success(let output), let expected?):
            #expect(output == expected)
        case (.failure(let error), let expected?):
            Issue.record("jinja2 rendered \(expected.debugDescription); we failed: \(error)")
        case (.success(let output), nil):
            Issue.record("jinja2 failed with \(c.errorType ?? "?"): \(c.error ?? ""); we rendered \(output.debugDescription)")
        case (.failure(let error), nil):
            let type = c.errorType ?? "?"
            #expect(Jinja2Expectations.matches(error.kind, pythonError: type), "jinja2: \(type): \(c.error ?? ""); we: \(error)")
            if type == "raise_exception" { #expect(error.message == c.error) }
        }
    }
}
