import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// The shared fixtures: the Llama-3-style byte-level tokenizer against the
/// ids and decodes Hugging Face `tokenizers` 0.23.3 produced.
struct FixtureReferenceTests {
    @Test func everyReferenceStringEncodesAndDecodesLikeTokenizers() throws {
        let tokenizer = try TestTokenizers.fixture.get()
        let references = try ReferenceSet.load(Fixtures.tokenizerReferences)
        #expect(references.cases.count > 300)
        let mismatches = references.mismatches(tokenizer)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    @Test func modelPromptsEncodeToTheReferenceInputIds() throws {
        struct Prompts: Decodable {
            struct Prompt: Decodable { let name: String; let text: String; let input_ids: [Int] }
            let prompts: [Prompt]
        }
        let tokenizer = try TestTokenizers.fixture.get()
        let prompts = try JSONDecoder().decode(Prompts.self, from: Data(contentsOf: Fixtures.references)).prompts
        #expect(!prompts.isEmpty)
        for p in prompts {
            #expect(tokenizer.encode(p.text) == p.input_ids, "prompt \(p.name)")
        }
    }

    @Test func specialTokenIdsComeFromTheConfig() throws {
        let tokenizer = try TestTokenizers.fixture.get()
        #expect(tokenizer.vocabSize == 2048)
        #expect(tokenizer.bosTokenId == 2046)
        #expect(tokenizer.eosTokenIds == [2047])
        #expect(tokenizer.isSpecial(2046) && tokenizer.isSpecial(2047) && !tokenizer.isSpecial(2045))
        #expect(tokenizer.id(forToken: "<|end_of_text|>") == 2047)
        #expect(tokenizer.token(forId: 2046) == "<|begin_of_text|>")
        #expect(tokenizer.token(forId: 2048) == nil && tokenizer.token(forId: -1) == nil)
    }

    @Test func theBundledModelFolderLoadsWithGenerationConfig() throws {
        let tokenizer = try Tokenizer(folder: Fixtures.tinyLlama)
        #expect(tokenizer.bosTokenId == 2046)
        #expect(tokenizer.eosTokenIds.first == 2047)
    }
}
