import Testing
import Foundation
@testable import Daemon

@Suite struct ConfigFileTests {
    @Test func commentsBlankLinesAndInlineCommentsAreSkipped() throws {
        let text = """
        # a comment

           # an indented comment
        max_batch = 8   # inline comment after whitespace
        model=/srv/m#1
        registry = "/srv/with #hash/registry.sqlite"  # quoted keeps the hash
        admin_token_file =
        """
        let entries = try ConfigFile.parse(text: text, file: "t.conf")
        #expect(entries == [
            .init(key: "max_batch", value: "8", line: 4),
            .init(key: "model", value: "/srv/m#1", line: 5),
            .init(key: "registry", value: "/srv/with #hash/registry.sqlite", line: 6),
            .init(key: "admin_token_file", value: "", line: 7),
        ])
    }

    @Test func crlfLineEndsAndByteOrderMarkAreTolerated() throws {
        let text = "\u{FEFF}max_batch = 8\r\n# c\r\nmax_queue = 9\r\n"
        let entries = try ConfigFile.parse(text: text, file: "t.conf")
        #expect(entries == [.init(key: "max_batch", value: "8", line: 1), .init(key: "max_queue", value: "9", line: 3)])
    }

    @Test func quotedValuesUnescapeQuotesAndBackslashes() throws {
        let entries = try ConfigFile.parse(text: #"model = "a \"b\" \\c""#, file: "t.conf")
        #expect(entries.first?.value == #"a "b" \c"#)
    }

    @Test func aLineWithoutEqualsIsASyntaxErrorWithItsLine() {
        #expect(throws: ConfigError.syntax(file: "t.conf", line: 3, detail: "expected 'key = value'")) {
            try ConfigFile.parse(text: "max_batch = 8\n\nmax_queue 9\n", file: "t.conf")
        }
    }

    @Test func otherSyntaxErrorsNameTheirLine() {
        for (text, line) in [("= 5", 1), ("a\n bad key = 1", 1), ("x = 1\nmodel = \"open", 2), ("model = \"a\" b", 1)] {
            do {
                _ = try ConfigFile.parse(text: text, file: "t.conf")
                Issue.record("\(text) parsed")
            } catch {
                guard case let .syntax(file, reported, _) = error else { Issue.record("\(error)"); continue }
                #expect(file == "t.conf")
                #expect(reported == line, "\(text)")
            }
        }
    }

    @Test func aDuplicateKeyNamesBothLines() {
        #expect(throws: ConfigError.duplicateKey(file: "t.conf", line: 4, key: "max_batch", firstLine: 2)) {
            try ConfigFile.parse(text: "# c\nmax_batch = 8\nmax_queue = 3\nmax_batch = 9\n", file: "t.conf")
        }
    }

    @Test func errorMessagesUseTheFileLineForm() {
        let error = ConfigError.unknownKey(file: "/etc/lorad/lorad.conf", line: 12, key: "max_bach")
        #expect(error.description == "/etc/lorad/lorad.conf:12: unknown key 'max_bach' (did you mean 'max_batch'?)")
        #expect(ConfigError.unknownKey(file: "f", line: 1, key: "colour").description == "f:1: unknown key 'colour'")
        #expect(ConfigError.unknownFlag(flag: "max-bach").description == "unknown option --max-bach (did you mean --max-batch?)")
        #expect(ConfigError.badValue(file: "f", line: 2, key: "max_batch", value: "x", expected: "an integer").description
                == "f:2: bad value 'x' for key 'max_batch': expected an integer")
    }
}
