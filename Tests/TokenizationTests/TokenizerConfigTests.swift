import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// tokenizer_config.json handling: bos/eos in both spellings and the Llama
/// `add_bos_token` / `add_eos_token` switches.
struct TokenizerConfigTests {
    private func sentencePiece(config: String) throws -> Tokenizer {
        let json = try Data(contentsOf: TestTokenizers.generatedDirectory
            .appendingPathComponent("sentencepiece-legacy/tokenizer.json"))
        return try Tokenizer(tokenizerJSON: json, configJSON: Data(config.utf8))
    }

    @Test func tokensGivenAsAddedTokenObjectsResolve() throws {
        let t = try sentencePiece(config: #"{"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": {"content": "</s>"}}"#)
        #expect(t.bosTokenId == 1)
        #expect(t.eosTokenIds == [2])
    }

    @Test func llamaAddBosAndEosSwitchesRebuildTheTemplate() throws {
        // transformers LlamaTokenizerFast.update_post_processor: "$A </s>" here.
        let t = try sentencePiece(config: #"{"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": false, "add_eos_token": true, "bos_token": "<s>", "eos_token": "</s>"}"#)
        let plain = t.encode("hello world", addSpecialTokens: false)
        #expect(!plain.isEmpty)
        #expect(t.encode("hello world") == plain + [2])
    }

    @Test func withoutAConfigTheTemplateSuppliesBos() throws {
        let json = try Data(contentsOf: TestTokenizers.generatedDirectory
            .appendingPathComponent("sentencepiece-legacy/tokenizer.json"))
        let t = try Tokenizer(tokenizerJSON: json, configJSON: nil)
        #expect(t.bosTokenId == 1)
        #expect(t.eosTokenIds.isEmpty)
        #expect(t.encode("x").first == 1)
    }

    @Test func anEosTokenMissingFromTheVocabularyIsNamed() throws {
        #expect(throws: TokenizerError.unknownToken(role: "tokenizer_config.json eos_token", token: "<|im_end|>")) {
            _ = try sentencePiece(config: #"{"eos_token": "<|im_end|>"}"#)
        }
    }
}
