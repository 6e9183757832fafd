import Foundation
import Testing
import OrderedJSON

/// Writing string literals, checked by reading them back with two parsers.
@Suite struct JSONStringTests {
    static let samples = ["", "plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}",
                          "é e\u{301} Å Å", "emoji 🦙 and CJK 漢字", "</script>", String(repeating: "x", count: 1000)]

    @Test(arguments: samples)
    func quotedStringParsesBackToItselfByteForByte(_ s: String) throws {
        let literal = JSONString.quoted(s)
        let ours = try JSONValue.parse(Data(literal.utf8))
        #expect(ours.stringValue.map { Array($0.utf8) } == Array(s.utf8))
        let foundation = try JSONSerialization.jsonObject(with: Data(literal.utf8), options: [.fragmentsAllowed]) as? String
        #expect(foundation.map { Array($0.unicodeScalars) } == Array(s.unicodeScalars))
        #expect(!literal.unicodeScalars.dropFirst().dropLast().contains { $0.value < 0x20 }, "control characters are escaped")
    }
}
