import Testing
import AdapterNaming

@Suite struct AdapterNameTests {
    @Test(arguments: ["a", "python-qv-r8", "A.b_c-9", "9lives", "x..", "z-", String(repeating: "z", count: 64)])
    func validNamesAreAccepted(name: String) throws {
        #expect(try AdapterName(name).text == name)
        #expect(AdapterName.brokenRule(name) == nil)
    }

    @Test(arguments: ["", "../x", "a/b", "/", "with space", " ", "tab\tname", "naïve", "名前", "emoji🙂",
                      ".", "..", "...", "-", "-rf", ".hidden", "..x", "_x", String(repeating: "z", count: 65),
                      "semi;colon", "quote'", "a:0.5", "a,b"])
    func invalidNamesAreRefused(name: String) throws {
        let error = try #require(throws: AdapterNameError.self) { try AdapterName(name) }
        #expect(error.name == name)
        #expect(error.rule == AdapterName.brokenRule(name))
        #expect(!error.rule.isEmpty)
    }

    @Test func reasonsNameTheBrokenRule() throws {
        func rule(_ name: String) -> String { AdapterName.brokenRule(name) ?? "" }
        #expect(rule("").contains("empty"))
        #expect(rule(String(repeating: "a", count: 65)).contains("65"))
        #expect(rule("a/b").contains("U+002F"))
        #expect(rule("nul\u{0}").contains("U+0000"))
        for name in ["..", ".", "...", "-", ".hidden", "_x"] {
            #expect(rule(name).contains("must start with a letter or digit"), "\(name): \(rule(name))")
            #expect(rule(name).contains("'\(name.first!)'"), "\(name): the rule names the leading character")
        }
    }
}
