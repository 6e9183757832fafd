import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// Tokenizers trained by Tests/Fixtures/generated/make_sentencepiece_fixture.py
/// with the Python `tokenizers` library, against that library's own output.
struct GeneratedReferenceTests {
    private func check(_ name: String, _ tokenizer: Result<Tokenizer, Error>) throws {
        let references = try ReferenceSet.load(
            TestTokenizers.generatedDirectory.appendingPathComponent(name).appendingPathComponent("references.json"))
        #expect(references.cases.count > 100)
        let mismatches = references.mismatches(try tokenizer.get())
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    @Test func llama2LayoutWithByteFallbackMatchesTokenizers() throws {
        try check("sentencepiece-legacy", TestTokenizers.sentencePiece)
    }

    @Test func metaspaceLayoutWithStrippingAddedTokensMatchesTokenizers() throws {
        try check("sentencepiece-metaspace", TestTokenizers.sentencePieceMetaspace)
    }

    @Test func gpt2ByteLevelWithStringMergesMatchesTokenizers() throws {
        try check("gpt2-bytelevel", TestTokenizers.gpt2)
    }

    @Test func digitsPlusPrefixedByteLevelWithRobertaProcessingMatchesTokenizers() throws {
        try check("smollm-style", TestTokenizers.smolLMStyle)
    }

    @Test func nfkcLowercaseNormalizerAndNormalizedAddedTokenMatchTokenizers() throws {
        try check("bytelevel-normalized", TestTokenizers.normalizedByteLevel)
    }

    @Test func subwordAffixesAndUnknownTokensMatchTokenizers() throws {
        try check("bpe-affixes", TestTokenizers.affixes)
    }

    @Test func randomUnicodeStringsMatchTheFixtureTokenizer() throws {
        let references = try ReferenceSet.load(TestTokenizers.generatedDirectory.appendingPathComponent("fixture-fuzz-references.json"))
        #expect(references.cases.count == 300)
        let mismatches = references.mismatches(try TestTokenizers.fixture.get())
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    @Test func sentencePieceSpecialTokensComeFromTheConfig() throws {
        let tokenizer = try TestTokenizers.sentencePiece.get()
        #expect(tokenizer.bosTokenId == 1)
        #expect(tokenizer.eosTokenIds == [2])
        #expect(tokenizer.id(forToken: "<0x41>") == 3 + 0x41)
        #expect(tokenizer.vocabSize == 996)
    }
}
