import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// `Tokenizer.bytes(forId:)` — the bytes a token stands for, which chat
/// logprobs report — against the text itself: joined over a text's tokens
/// they give its UTF-8 back, even where a token holds part of a character
/// (and so decodes alone to U+FFFD).
struct TokenBytesTests {
    static let texts = ["é₂€😀 naïve 東京 🇫🇷 ZWJ: 👩‍💻", "plain ascii, with  spaces\tand\nlines", "ÿ\u{1F9D1}\u{200D}\u{1F52C}", "x"]

    @Test func aByteLevelTokenizersTokenBytesJoinToTheText() throws {
        for tokenizer in [try TestTokenizers.fixture.get(), try TestTokenizers.gpt2.get()] {
            for text in Self.texts {
                let ids = tokenizer.encode(text, addSpecialTokens: false)
                #expect(ids.flatMap(tokenizer.bytes(forId:)) == Array(text.utf8), "\(text.debugDescription)")
                // At least one case splits a character over tokens, so the property is not trivial.
                if text.hasPrefix("é₂€😀") {
                    #expect(ids.contains { tokenizer.decode([$0]).contains("\u{FFFD}") }, "no partial-character token")
                }
            }
        }
    }

    @Test func aWholeTokensBytesAreItsTextsUTF8() throws {
        for tokenizer in [try TestTokenizers.fixture.get(), try TestTokenizers.sentencePiece.get()] {
            for id in 0..<tokenizer.vocabSize {
                // `<0xNN>` tokens are their byte (below), also where decoding
                // one alone strips it (a first token's leading space).
                let text = tokenizer.decode([id])
                guard !text.contains("\u{FFFD}"), tokenizer.token(forId: id)?.hasPrefix("<0x") != true else { continue }
                #expect(tokenizer.bytes(forId: id) == Array(text.utf8), "id \(id) \(text.debugDescription)")
            }
        }
    }

    @Test func aByteFallbackTokenIsItsByte() throws {
        let tokenizer = try TestTokenizers.sentencePiece.get()
        var seen = 0
        for byte in 0...255 {
            guard let id = tokenizer.id(forToken: String(format: "<0x%02X>", byte)) else { continue }
            #expect(tokenizer.bytes(forId: id) == [UInt8(byte)])
            seen += 1
        }
        #expect(seen == 256)
    }
}
