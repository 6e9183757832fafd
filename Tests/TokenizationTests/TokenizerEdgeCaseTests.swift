import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// Hand-made tokenizers at the edges of added-token matching, `Split` and
/// ByteFallback (Tests/Fixtures/generated/make_tokenizer_edge_cases.py),
/// against the ids and text the Python `tokenizers` library gives for them.
struct TokenizerEdgeCaseTests {
    struct Case: Decodable {
        struct Encoding: Decodable { var text: String; var ids: [Int] }
        struct Decoding: Decodable { var ids: [Int]; var text: String }
        var encodings: [Encoding]?
        var decodings: [Decoding]?
    }

    static let file = TestTokenizers.generatedDirectory.appendingPathComponent("tokenizer-edge-cases.json")

    static var names: [String] {
        guard let data = try? Data(contentsOf: file),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return object.keys.sorted()
    }

    static func load(_ name: String) throws -> (tokenizer: Tokenizer, expected: Case) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let entry = try #require(object[name] as? [String: Any])
        let tokenizerJSON = try JSONSerialization.data(withJSONObject: try #require(entry["tokenizer"]))
        let expected = try JSONDecoder().decode(Case.self, from: JSONSerialization.data(withJSONObject: entry))
        return (try Tokenizer(tokenizerJSON: tokenizerJSON, configJSON: nil), expected)
    }

    @Test(arguments: names)
    func encodingsAndDecodingsMatchTokenizers(_ name: String) throws {
        let (tokenizer, expected) = try Self.load(name)
        #expect((expected.encodings?.count ?? 0) + (expected.decodings?.count ?? 0) > 0)
        for e in expected.encodings ?? [] {
            #expect(tokenizer.encode(e.text, addSpecialTokens: false) == e.ids, "\(name): \(e.text.debugDescription)")
        }
        for d in expected.decodings ?? [] {
            #expect(tokenizer.decode(d.ids) == d.text, "\(name): \(d.ids)")
        }
    }

    @Test func theEdgeCaseFileHoldsEveryCase() {
        #expect(Set(Self.names).isSuperset(of: [
            "rstrip-then-overlapping-added-token", "duplicate-added-content-takes-the-last-flags",
            "contiguous-inverted-split-merges-neighbours", "many-added-tokens-sharing-prefixes",
            "byte-fallback-token-names-parse-as-rust-does",
        ]))
    }
}
