import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// Streaming detokenization against the one-shot decode of the same ids.
struct StreamingDecoderTests {
    /// Every reference string of one family: pushing ids one by one
    /// concatenates to `decode(ids)`, and no piece shows U+FFFD that the full
    /// decode does not contain.
    private func checkStreaming(_ tokenizer: Tokenizer, _ references: ReferenceSet, label: String) {
        var failures: [String] = []
        for (i, c) in references.cases.enumerated() {
            for skip in [false, true] {
                let ids = c.ids + (tokenizer.eosTokenIds.first.map { [$0] } ?? [])
                var decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: skip)
                var pieces: [String] = []
                for id in ids { pieces.append(decoder.push(id)) }
                pieces.append(decoder.finish())
                let expected = tokenizer.decode(ids, skipSpecialTokens: skip)
                let joined = pieces.joined()
                if !joined.unicodeScalars.elementsEqual(expected.unicodeScalars) {
                    failures.append("\(label) #\(i) skip=\(skip): streamed \(joined.debugDescription) ≠ \(expected.debugDescription)")
                }
                if !expected.unicodeScalars.contains("\u{FFFD}"), pieces.contains(where: { $0.unicodeScalars.contains("\u{FFFD}") }) {
                    failures.append("\(label) #\(i) skip=\(skip): a piece contains U+FFFD: \(pieces)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func byteLevelStreamingConcatenatesToTheFullDecode() throws {
        let tokenizer = try TestTokenizers.fixture.get()
        checkStreaming(tokenizer, try ReferenceSet.load(Fixtures.tokenizerReferences), label: "fixture")
        checkStreaming(tokenizer, try ReferenceSet.load(TestTokenizers.generatedDirectory.appendingPathComponent("fixture-fuzz-references.json")),
                       label: "fixture-fuzz")
    }

    @Test func byteFallbackAndMetaspaceStreamingConcatenatesToTheFullDecode() throws {
        for (name, tokenizer) in TestTokenizers.allGenerated {
            let refs = try ReferenceSet.load(TestTokenizers.generatedDirectory.appendingPathComponent(name).appendingPathComponent("references.json"))
            checkStreaming(try tokenizer.get(), refs, label: name)
        }
    }

    @Test func aLongGenerationStreamsLikeTheFullDecode() throws {
        // Long enough that the window is compacted many times, across
        // multi-byte characters split over several tokens.
        let text = String(repeating: "Café 日本語のテキスト 👩‍💻 and ∑x² — naïve ", count: 40)
        for (_, tokenizer) in TestTokenizers.allGenerated + [("fixture", TestTokenizers.fixture)] {
            let t = try tokenizer.get()
            let ids = t.encode(text)
            var decoder = t.makeStreamingDecoder()
            var out = ""
            for id in ids {
                let piece = decoder.push(id)
                #expect(!piece.unicodeScalars.contains("\u{FFFD}"))
                out += piece
            }
            out += decoder.finish()
            #expect(out.unicodeScalars.elementsEqual(t.decode(ids).unicodeScalars))
        }
    }

    @Test func aSplitCharacterIsHeldUntilItIsComplete() throws {
        let tokenizer = try TestTokenizers.sentencePiece.get()
        // "日" is not in the small vocabulary: three <0xNN> byte tokens.
        let ids = tokenizer.encode("日", addSpecialTokens: false)
        let bytes = ids.compactMap { tokenizer.token(forId: $0) }.filter { $0.hasPrefix("<0x") }
        #expect(bytes == ["<0xE6>", "<0x97>", "<0xA5>"])
        var decoder = tokenizer.makeStreamingDecoder()
        let pieces = ids.map { decoder.push($0) }
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
        #expect(pieces.joined() + decoder.finish() == "日")
    }

    @Test func anIncompleteCharacterAtTheEndIsFlushedAsReplacement() throws {
        let tokenizer = try TestTokenizers.fixture.get()
        // The byte-level tokens of "日" minus its last byte: decode gives U+FFFD.
        let ids = tokenizer.encode("日", addSpecialTokens: false)
        let partial = Array(ids.dropLast())
        let expected = tokenizer.decode(partial)
        #expect(expected.unicodeScalars.contains("\u{FFFD}"))
        var decoder = tokenizer.makeStreamingDecoder()
        let streamed = partial.map { decoder.push($0) }
        #expect(streamed.joined().isEmpty)
        #expect(decoder.finish() == expected)
    }
}
