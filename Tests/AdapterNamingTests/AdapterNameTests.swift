import Testing
import AdapterNaming
import TestSupport

@Suite struct AdapterNameTests {
    @Test(arguments: ["a", "python-qv-r8", "A.b_c-9", "9lives", "x..", "z-", String(repeating: "z", count: 64)])
    func validNamesAreAccepted(name: String) throws {
        #expect(try AdapterName(name).text == name)
        #expect(AdapterName.brokenRule(name) == nil)
        #expect(try AdapterName(name).hubID == nil)
    }

    @Test(arguments: ["a/b", "meta-llama/Llama-3.2-1B", "org/lora.v1", "_org/_x_", "9/9", "A.b_c-9/x-y.z",
                      String(repeating: "o", count: 96) + "/" + String(repeating: "n", count: 96)])
    func hubIDsAreAccepted(name: String) throws {
        let parsed = try AdapterName(name)
        let hub = try #require(parsed.hubID)
        #expect(hub.organization + "/" + hub.name == name)
    }

    @Test(arguments: ["", "../x", "/", "with space", " ", "tab\tname", "naïve", "名前", "emoji🙂",
                      ".", "..", "...", "-", "-rf", ".hidden", "..x", "_x", String(repeating: "z", count: 65),
                      "semi;colon", "quote'", "a:0.5", "a,b",
                      // hub ids
                      "a/b/c", "a//b", "/b", "a/", "org/../x", "../org/x", "org/..", "..org/x", "a--b/c", "a/b--c",
                      "a/b..c", "-org/x", "org-/x", "org/.x", "org/x.", "org/x-", "org/x.git", "org/naïve",
                      "org/" + String(repeating: "n", count: 97), String(repeating: "o", count: 97) + "/x"])
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
        #expect(rule("a b").contains("U+0020"))
        #expect(rule("nul\u{0}").contains("U+0000"))
        for name in ["..", ".", "...", "-", ".hidden", "_x"] {
            #expect(rule(name).contains("must start with a letter or digit"), "\(name): \(rule(name))")
            #expect(rule(name).contains("'\(name.first!)'"), "\(name): the rule names the leading character")
        }
        #expect(rule("a/b/c").contains("2 '/'"))
        #expect(rule("a/b/c/d").contains("3 '/'"))
        #expect(rule("../x").contains("ORG (before the '/') '..'"))
        #expect(rule("org/x-").contains("NAME (after the '/') 'x-' must end"))
        #expect(rule("a--b/c").contains("'--'"))
        #expect(rule("a/b..c").contains("'..'"))
        #expect(rule("org/x.git").contains(".git"))
        #expect(rule("org/" + String(repeating: "n", count: 97)).contains("97 characters, at most 96"))
    }

    /// Every `ORG/NAME` form is judged as huggingface_hub's
    /// `validate_repo_id` judges it (plain names follow lorad's own,
    /// stricter rule and are not compared).
    @Test(.enabled(if: HuggingFaceHubPeer.python != nil, "needs python3 with huggingface_hub (pip install huggingface_hub)"))
    func hubIDsAreJudgedAsHuggingFaceHubJudgesThem() throws {
        let python = try #require(HuggingFaceHubPeer.python)
        let parts = ["a", "Z9", "_", "_x_", "x.y", "x-y", "x_y", "x--y", "x..y", "x.-y", "-x", "x-", ".x", "x.", "x.git",
                     "git", "a.gitx", "é", "x y", "", String(repeating: "n", count: 96), String(repeating: "n", count: 97)]
        var ids: [String] = []
        for org in parts { for name in parts { ids.append(org + "/" + name) } }
        ids += ["a/b/c", "/", "//", "a//b"]
        let verdicts = try HuggingFaceHubPeer.accepts(ids, python: python)
        #expect(verdicts.count == ids.count)
        for (id, accepted) in zip(ids, verdicts) {
            #expect((AdapterName.brokenRule(id) == nil) == accepted, "\(id): huggingface_hub \(accepted ? "accepts" : "refuses"), lorad: \(AdapterName.brokenRule(id) ?? "accepts")")
        }
    }
}
