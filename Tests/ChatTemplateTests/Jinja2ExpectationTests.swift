import ChatTemplating
import Testing

/// The 26 real templates render conversations that are not in the golden
/// corpus exactly as real jinja2 does (or fail as it does).
@Suite struct ConversationTests {
    @Test func expectationsAreLoaded() {
        #expect(Jinja2Expectations.conversations.count == 26 * 17 * 2)
        #expect(Jinja2Expectations.features.count > 2900)
    }

    @Test(arguments: Jinja2Expectations.conversations)
    func realTemplateRendersNewConversationAsJinja2(_ c: Jinja2Expectations.Case) throws {
        let template = try #require(try GoldenCorpus.templates[c.template]?.get())
        Jinja2Expectations.check(c, Result { () throws(TemplateError) in
            try template.render(c.variables, date: Jinja2Expectations.date)
        })
    }

    /// Every generated feature case belongs to one of the feature suites.
    @Test func everyFeatureCaseIsInASuite() {
        let prefixes = ["ws-", "print-", "op-", "string-", "undefined-", "lookup-", "filter-", "test-", "loop-",
                        "scope-", "macro-", "misc-", "tojson-", "slice-"]
        let orphans = Jinja2Expectations.features.filter { c in !prefixes.contains { c.name.hasPrefix($0) } }
        #expect(orphans.isEmpty, "\(orphans.map(\.name))")
    }
}
