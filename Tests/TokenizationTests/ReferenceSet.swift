import Foundation
import TestSupport
@testable import Tokenization

/// A `tokenizer-references.json`-shaped file: strings with the ids, tokens
/// and decodes the Python `tokenizers` library produced for them.
struct ReferenceSet: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let ids_no_special: [Int]
        let tokens_no_special: [String]
        let decoded: String
        let decoded_with_special: String
        let decoded_skip_special: String
    }

    let cases: [Case]

    static func load(_ url: URL) throws -> ReferenceSet {
        try JSONDecoder().decode(ReferenceSet.self, from: Data(contentsOf: url))
    }

    /// Every disagreement between `tokenizer` and the references, one line each
    /// (string index, the text, both sides).
    func mismatches(_ tokenizer: Tokenizer) -> [String] {
        var out: [String] = []
        for (i, c) in cases.enumerated() {
            let label = "#\(i) \(c.text.debugDescription.prefix(60))"
            let ids = tokenizer.encode(c.text)
            if ids != c.ids { out.append("\(label) ids: got \(ids) expected \(c.ids)") }
            let plain = tokenizer.encode(c.text, addSpecialTokens: false)
            if plain != c.ids_no_special { out.append("\(label) ids_no_special: got \(plain) expected \(c.ids_no_special)") }
            let tokens = tokenizer.tokens(forIds: c.ids_no_special)
            if tokens != c.tokens_no_special { out.append("\(label) tokens: got \(tokens) expected \(c.tokens_no_special)") }
            // Decodes are compared as scalars: String == would accept canonically equivalent text.
            func same(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }
            let decoded = tokenizer.decode(c.ids_no_special)
            if !same(decoded, c.decoded) { out.append("\(label) decoded: got \(decoded.debugDescription) expected \(c.decoded.debugDescription)") }
            let withSpecial = tokenizer.decode(c.ids)
            if !same(withSpecial, c.decoded_with_special) {
                out.append("\(label) decoded_with_special: got \(withSpecial.debugDescription) expected \(c.decoded_with_special.debugDescription)")
            }
            let skip = tokenizer.decode(c.ids, skipSpecialTokens: true)
            if !same(skip, c.decoded_skip_special) {
                out.append("\(label) decoded_skip_special: got \(skip.debugDescription) expected \(c.decoded_skip_special.debugDescription)")
            }
        }
        return out
    }
}

/// The tokenizers under test, loaded once.
enum TestTokenizers {
    static let fixture: Result<Tokenizer, Error> = Result { try Tokenizer(folder: Fixtures.tokenizerFolder) }
    static let generatedDirectory = Fixtures.directory.appendingPathComponent("generated")

    static func generated(_ name: String) -> Result<Tokenizer, Error> {
        Result { try Tokenizer(folder: generatedDirectory.appendingPathComponent(name)) }
    }

    static let sentencePiece = generated("sentencepiece-legacy")
    static let sentencePieceMetaspace = generated("sentencepiece-metaspace")
    static let gpt2 = generated("gpt2-bytelevel")
    static let smolLMStyle = generated("smollm-style")
    static let normalizedByteLevel = generated("bytelevel-normalized")
    static let affixes = generated("bpe-affixes")

    /// Every generated family with its references file.
    static var allGenerated: [(String, Result<Tokenizer, Error>)] {
        [("sentencepiece-legacy", sentencePiece), ("sentencepiece-metaspace", sentencePieceMetaspace),
         ("gpt2-bytelevel", gpt2), ("smollm-style", smolLMStyle),
         ("bytelevel-normalized", normalizedByteLevel), ("bpe-affixes", affixes)]
    }
}
