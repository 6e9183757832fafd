import Foundation
import OrderedJSON
import Testing

/// RFC 8259 §7 (strings, escapes) and §8.1 (UTF-8).
@Suite struct StringTests {
    @Test func everySimpleEscapeDecodes() throws {
        let v = try parse(#""\"\\\/\b\f\n\r\t""#)
        #expect(v.stringValue.map { Array($0.utf8) } == [0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09])
    }

    @Test func unicodeEscapesDecodeInEitherCase() throws {
        #expect(try parse(#""\u0041\u00e9\u00E9\u20AC""#) == .string("Aéé€"))
        #expect(try parse(#""\u0000""#).stringValue?.utf8.elementsEqual([0]) == true)
    }

    @Test func surrogatePairsJoinIntoOneScalar() throws {
        let v = try parse(#""a\uD83D\uDE00b\ud834\udd1e""#)
        #expect(v.stringValue?.unicodeScalars.map(\.value) == [0x61, 0x1F600, 0x62, 0x1D11E])
    }

    @Test func loneSurrogatesAreRejectedByDefault() {
        // serde_json (hence tokenizers) refuses these; so did Tokenization's former reader.
        for text in [#""\uD800""#, #""\uDC00""#, #""\uD800x""#, #""\uD800\u0041""#, #""\uD800\uD800""#, #""x\uDFFF""#] {
            let error = parseError(text)
            #expect(error?.expected.contains("surrogate pair") == true, "\(text)")
        }
        #expect(parseError(#""ab\uDC00""#)?.offset == 3)
    }

    @Test func loneSurrogatesCanBeReplacedInstead() throws {
        // LoRA's former reader decoded them as U+FFFD; a following escape is decoded on its own.
        let options = JSONParseOptions(loneSurrogates: .replace)
        #expect(try parse(#""\uD800""#, options) == .string("\u{FFFD}"))
        #expect(try parse(#""\uDC00x""#, options) == .string("\u{FFFD}x"))
        #expect(try parse(#""\uD800\u0041""#, options) == .string("\u{FFFD}A"))
        #expect(try parse(#""\uD800\uD83D\uDE00""#, options) == .string("\u{FFFD}\u{1F600}"))
    }

    @Test func badEscapesAreRejected() {
        for text in [#""\x41""#, #""\u12""#, #""\u12G4""#, #""\""#, #""\'""#, #""\U0041""#, #""\u""#] {
            #expect(parseError(text) != nil, "\(text)")
        }
    }

    @Test func unescapedControlCharactersAreRejected() throws {
        for byte: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] {
            let error = parseError([0x22, 0x61, byte, 0x22])
            #expect(error?.offset == 2, "byte \(byte)")
        }
        // DEL (0x7F) is not a control character in JSON's sense.
        #expect(try JSONValue.parse([0x22, 0x7F, 0x22]) == .string("\u{7F}"))
    }

    @Test func invalidUTF8IsRejectedAtTheStringThatHoldsIt() {
        let cases: [[UInt8]] = [
            [0xFF], [0xC3], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80],  // truncated, stray, encoded surrogate
            [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0x80],  // overlong, above U+10FFFF, lone continuation
        ]
        for bad in cases {
            let doc = Array(#"["ok", "x"#.utf8) + bad + Array(#""]"#.utf8)
            let error = parseError(doc)
            #expect(error?.offset == 7, "\(bad)")
            #expect(error?.expected == "valid UTF-8 in the string", "\(bad)")
        }
        // Also when the string has escapes (decoded through a buffer).
        #expect(parseError(Array(#""\n"#.utf8) + [0xFF, 0x22])?.offset == 0)
    }

    @Test func stringsAreByteExactNotCanonicallyEquivalent() throws {
        // "é" precomposed (C3 A9) and decomposed (65 CC 81) are equal as Swift Strings,
        // but distinct tokenizer vocabulary entries.
        let v = try parse("{\"\u{E9}\": 1, \"e\u{301}\": 2, \"\u{212B}\": 3, \"\u{C5}\": 4}")
        let members = try #require(v.objectValue)
        #expect(members.map { Array($0.key.utf8) } == [[0xC3, 0xA9], [0x65, 0xCC, 0x81], [0xE2, 0x84, 0xAB], [0xC3, 0x85]])
        #expect(v["\u{E9}"] == .integer(1))
        #expect(v["e\u{301}"] == .integer(2))
        #expect(v["\u{212B}"] == .integer(3))
        #expect(v["\u{C5}"] == .integer(4))
        #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
        // An escaped scalar and its raw UTF-8 decode to the same bytes.
        #expect(try parse(#""\u00e9""#) == parse("\"\u{E9}\""))
    }

    @Test func longStringsWithManyEscapesDecodeCompletely() throws {
        let unit = #"ab\n\u00e9\"c"#
        let v = try parse("\"" + String(repeating: unit, count: 10_000) + "\"")
        #expect(v.stringValue == String(repeating: "ab\n\u{E9}\"c", count: 10_000))
    }
}
