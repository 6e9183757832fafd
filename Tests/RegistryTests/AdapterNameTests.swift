import Foundation
import Testing
@testable import Registry

@Suite struct AdapterNameTests {
    @Test(arguments: ["a", "python-qv-r8", "A.b_c-9", ".hidden", "..x", String(repeating: "z", count: 64)])
    func validNamesAreAccepted(name: String) throws {
        try AdapterRegistry.validateName(name)
    }

    @Test(arguments: ["", "../x", "a/b", "/", "with space", " ", "tab\tname", "naïve", "名前", "emoji🙂",
                      ".", "..", String(repeating: "z", count: 65), "semi;colon", "quote'"])
    func invalidNamesAreRefused(name: String) throws {
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry.validateName(name) }
        guard case .invalidName(let reported, let reason) = error else {
            Issue.record("expected invalidName, got \(error)")
            return
        }
        #expect(reported == name)
        #expect(!reason.isEmpty)
    }

    @Test func reasonsNameTheBrokenRule() throws {
        func reason(_ name: String) throws -> String {
            let error = try #require(throws: RegistryError.self) { try AdapterRegistry.validateName(name) }
            guard case .invalidName(_, let reason) = error else { return "" }
            return reason
        }
        #expect(try reason("").contains("empty"))
        #expect(try reason(String(repeating: "a", count: 65)).contains("65"))
        #expect(try reason("a/b").contains("U+002F"))
        #expect(try reason("..").contains("reserved"))
        #expect(try reason("nul\u{0}").contains("U+0000"))
    }

    @Test func insertValidatesTheName() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        #expect(throws: RegistryError.self) {
            try registry.insert(NewAdapter(name: "../escape", configJSON: "{}"), weights: Data(repeating: 1, count: 8))
        }
        #expect(try registry.count() == 0)
    }
}
