import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// The hand-written scanners against the library's Oniguruma matches of the
/// same regexes (Tests/Fixtures/generated/pretokenizer-references.json).
struct SplitPatternTests {
    struct References: Decodable {
        struct Pattern: Decodable {
            struct Case: Decodable { let text: String; let pieces: [String] }
            let pattern: String
            let cases: [Case]
        }
        let patterns: [Pattern]
    }

    @Test func everyRecognisedRegexSplitsLikeOniguruma() throws {
        let url = TestTokenizers.generatedDirectory.appendingPathComponent("pretokenizer-references.json")
        let references = try JSONDecoder().decode(References.self, from: Data(contentsOf: url))
        #expect(references.patterns.count == 4)
        var failures: [String] = []
        for p in references.patterns {
            let pattern = try SplitPattern.regex(p.pattern, component: "test")
            for (i, c) in p.cases.enumerated() {
                let scalars = Array(c.text.unicodeScalars)
                let ranges = SplitBehavior.isolated.pieces(count: scalars.count, matches: pattern.matches(in: scalars))
                let pieces = ranges.map { String(String.UnicodeScalarView(scalars[$0])) }
                if !pieces.elementsEqual(c.pieces, by: { $0.unicodeScalars.elementsEqual($1.unicodeScalars) }) {
                    failures.append("\(p.pattern.prefix(12))… #\(i) \(c.text.debugDescription): got \(pieces) expected \(c.pieces)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func splitBehaviorsPlaceTheDelimiters() {
        // "a-b--c" split on "-": what tokenizers 0.23.3 `Split("-", behavior)` returns.
        let s = Array("a-b--c".unicodeScalars)
        let matches = SplitPattern.literal(["-"]).matches(in: s)
        func pieces(_ b: SplitBehavior) -> [String] {
            b.pieces(count: s.count, matches: matches).map { String(String.UnicodeScalarView(s[$0])) }
        }
        #expect(pieces(.removed) == ["a", "b", "c"])
        #expect(pieces(.isolated) == ["a", "-", "b", "-", "-", "c"])
        #expect(pieces(.mergedWithPrevious) == ["a-", "b-", "-", "c"])
        #expect(pieces(.mergedWithNext) == ["a", "-b", "-", "-c"])
        #expect(pieces(.contiguous) == ["a", "-", "b", "--", "c"])
    }
}
