import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// Bad tokenizer.json files fail with the specific typed error.
struct MalformedTokenizerTests {
    /// The fixture tokenizer.json with `edit` applied to its top-level object.
    private func fixtureJSON(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: Fixtures.tokenizerFolder.appendingPathComponent("tokenizer.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    private func loadError(_ data: Data) -> TokenizerError? {
        do {
            _ = try Tokenizer(tokenizerJSON: data, configJSON: nil)
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    @Test func textThatIsNotJSONIsRejected() {
        guard case .invalidJSON(let file, _)? = loadError(Data("{\"model\": [1, 2".utf8)) else {
            Issue.record("expected invalidJSON")
            return
        }
        #expect(file == "tokenizer.json")
        #expect(loadError(Data("[1, 2]".utf8)).map { "\($0)" }?.contains("not an object") == true)
    }

    /// A file that defines no token at all could encode and decode nothing
    /// (tokenizers decodes every id as ""): refused by name at load rather
    /// than served — `/detokenize` used to trap on its empty id range.
    @Test func aTokenizerWithoutAnyTokenIsRefused() throws {
        let data = try fixtureJSON {
            $0["added_tokens"] = []
            $0["post_processor"] = NSNull()
            var model = $0["model"] as? [String: Any] ?? [:]
            model["vocab"] = [String: Int]()
            model["merges"] = [String]()
            $0["model"] = model
        }
        guard case let .invalidField(path, expected)? = loadError(data) else {
            Issue.record("expected invalidField")
            return
        }
        #expect(path == "model.vocab" && expected.contains("at least one token"))
    }

    /// A template naming a special token its own `special_tokens` map lacks
    /// is refused naming that map and the template piece, not "the vocabulary".
    @Test func aTemplateSpecialTokenMissingFromItsMapNamesTheMap() throws {
        let data = try fixtureJSON {
            $0["post_processor"] = ["type": "TemplateProcessing",
                                    "single": [["SpecialToken": ["id": "<zz>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                                    "pair": [["Sequence": ["id": "A", "type_id": 0]]],
                                    "special_tokens": [String: Any]()]
        }
        guard case let .invalidField(path, expected)? = loadError(data) else {
            Issue.record("expected invalidField")
            return
        }
        #expect(path == "post_processor.special_tokens" && expected.contains("\"<zz>\"") && expected.contains("post_processor.single[0]"),
                "\(path): \(expected)")
    }

    @Test func anUnknownPreTokenizerTypeIsNamed() throws {
        let data = try fixtureJSON { $0["pre_tokenizer"] = ["type": "Whitespace"] }
        #expect(loadError(data) == .unsupportedComponent(component: "pre_tokenizer (pre_tokenizer)", type: "Whitespace"))
    }

    @Test func anUnknownModelTypeIsNamed() throws {
        let data = try fixtureJSON { $0["model"] = ["type": "Unigram", "vocab": [["a", 0.0]]] }
        #expect(loadError(data) == .unsupportedComponent(component: "model", type: "Unigram"))
    }

    @Test func anUnknownSplitRegexIsNamed() throws {
        let data = try fixtureJSON {
            $0["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false]
        }
        #expect(loadError(data) == .unsupportedPattern(component: "pre_tokenizer Split (pre_tokenizer)", pattern: "\\w+"))
    }

    @Test func anUnknownDecoderTypeIsNamed() throws {
        let data = try fixtureJSON { $0["decoder"] = ["type": "Sequence", "decoders": [["type": "CTC"]]] }
        #expect(loadError(data) == .unsupportedComponent(component: "decoder (decoder.decoders[0])", type: "CTC"))
    }

    @Test func aMergeWithAMissingTokenIsRejected() throws {
        let data = try fixtureJSON {
            var model = $0["model"] as? [String: Any] ?? [:]
            var merges = model["merges"] as? [Any] ?? []
            merges.append(["Ġt", "zzz-not-a-token"])
            model["merges"] = merges
            $0["model"] = model
        }
        #expect(loadError(data) == .mergeTokenNotInVocabulary(rank: 1790, token: "zzz-not-a-token"))
    }

    @Test func aMergeStringWithoutTwoPartsIsRejected() throws {
        let data = try fixtureJSON {
            var model = $0["model"] as? [String: Any] ?? [:]
            model["merges"] = ["Ġ t", "Ġ Ġ x"]
            $0["model"] = model
        }
        #expect(loadError(data) == .malformedMerge(rank: 1, merge: "Ġ Ġ x"))
    }

    @Test func aMissingVocabularyNamesTheField() throws {
        let data = try fixtureJSON { $0["model"] = ["type": "BPE", "merges": []] }
        #expect(loadError(data) == .invalidField(path: "model.vocab", expected: "a value"))
    }

    @Test func aMissingFolderIsAnUnreadableFile() {
        do {
            _ = try Tokenizer(folder: URL(fileURLWithPath: "/nonexistent-lorad-tokenizer"))
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            guard case .unreadableFile(let path, _) = error else { Issue.record("got \(error)"); return }
            #expect(path.hasSuffix("tokenizer.json"))
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test func everyTruncationOfAValidFileIsInvalidJSON() throws {
        let data = try Data(contentsOf: Fixtures.tokenizerFolder.appendingPathComponent("tokenizer.json"))
        for cut in stride(from: 0, to: data.count, by: max(1, data.count / 40)) {
            guard case .invalidJSON? = loadError(data.prefix(cut)) else {
                Issue.record("a file cut at byte \(cut) was not rejected as invalid JSON")
                continue
            }
        }
    }

    @Test func aRegexReplaceNormalizerIsAnUnsupportedPattern() throws {
        let data = try fixtureJSON {
            $0["normalizer"] = ["type": "Replace", "pattern": ["Regex": " {2,}"], "content": " "]
        }
        #expect(loadError(data) == .unsupportedPattern(component: "normalizer Replace (normalizer.pattern)", pattern: " {2,}"))
    }

    @Test func anUnknownNormalizerTypeIsNamed() throws {
        let data = try fixtureJSON {
            $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Precompiled", "precompiled_charsmap": ""]]]
        }
        #expect(loadError(data) == .unsupportedComponent(component: "normalizer (normalizer.normalizers[1])", type: "Precompiled"))
    }

    @Test func anUnknownPostProcessorTypeIsNamed() throws {
        let data = try fixtureJSON { $0["post_processor"] = ["type": "BertLikeSomething"] }
        #expect(loadError(data) == .unsupportedComponent(component: "post_processor (post_processor)", type: "BertLikeSomething"))
    }

    @Test func errorsDescribeThemselves() {
        let e = TokenizerError.unsupportedComponent(component: "model", type: "WordPiece")
        #expect(e.description == "unsupported model type \"WordPiece\"")
    }
}
