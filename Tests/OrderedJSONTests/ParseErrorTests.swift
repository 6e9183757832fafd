import OrderedJSON
import Testing

/// `JSONParseError` says where parsing stopped and what was expected there.
@Suite struct ParseErrorTests {
    @Test func errorsNameTheOffsetAndTheExpectation() throws {
        let cases: [(String, Int, String, String)] = [
            (#"{"a": 1,}"#, 8, "a string key", "'}'"),
            (#"{"a" 1}"#, 5, "':'", "'1'"),
            ("[1 2]", 3, "',' or ']'", "'2'"),
            (#"{"a": 1"#, 7, "',' or '}'", "end of input"),
            ("[1] x", 4, "end of input after the JSON value", "'x'"),
            ("[tru]", 1, "the literal 'true'", "'t'"),
            ("", 0, "a value", "end of input"),
            ("[\u{7F}]", 1, "a value", "byte 0x7F"),
            (#""abc"#, 4, "'\"' closing the string that starts at byte 0", "end of input"),
            ("[-]", 2, "a digit", "']'"),
        ]
        for (text, offset, expected, found) in cases {
            let error = try #require(parseError(text), "\(text)")
            #expect(error == JSONParseError(offset: offset, expected: expected, found: found), "\(text)")
        }
    }

    @Test func theDescriptionReadsAsASentence() throws {
        let error = try #require(parseError("[1,]"))
        #expect(error.description == "expected a value but found ']' at byte 3")
    }
}
