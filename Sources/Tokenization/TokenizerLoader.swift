import Foundation
import OrderedJSON

/// Turns tokenizer.json (+ tokenizer_config.json, generation_config.json)
/// into the tokenizer's parts.
enum TokenizerLoader {
    /// Far above any real vocabulary (Gemma: 256 000), low enough that a
    /// hostile file cannot make the id table huge.
    static let maxVocabularyId = 16_000_000

    struct Parts {
        var addedVocabulary: AddedVocabulary
        var preTokenizer: PreTokenizer?
        var model: BPEModel
        var postProcessor: PostProcessor?
        var decoder: TokenDecoder?
        var idToToken: [String?]
        var tokenToId: [ExactString: Int]
        var specialIds: Set<Int>
        var bosTokenId: Int?
        var eosTokenIds: [Int]
    }

    static func load(tokenizerJSON: Data, configJSON: Data?, generationConfigJSON: Data?) throws -> Parts {
        do {
            return try parts(tokenizerJSON: tokenizerJSON, configJSON: configJSON, generationConfigJSON: generationConfigJSON)
        } catch let error as JSONAccessError {
            throw TokenizerError(error)
        }
    }

    private static func parts(tokenizerJSON: Data, configJSON: Data?, generationConfigJSON: Data?) throws -> Parts {
        let root = try JSONNode.document(tokenizerJSON, file: "tokenizer.json")
        guard root.value.objectValue != nil else {
            throw TokenizerError.invalidJSON(file: "tokenizer.json", reason: "the top level is not an object")
        }
        let normalizer = try root.optional("normalizer").map(ComponentParser.normalizer)
        let preTokenizer = try root.optional("pre_tokenizer").map(ComponentParser.preTokenizer)
        let decoder = try root.optional("decoder").map(ComponentParser.decoder)
        let model = try bpeModel(root.required("model"))

        // tokenizers re-adds `added_tokens` one by one on load and only checks
        // the stored ids (serialization.rs → AddedVocabulary::add_tokens): a
        // token of the model vocabulary keeps its model id, any other gets the
        // next id after the vocabulary and the added tokens so far.
        var added: [AddedToken] = []
        var addedIds: [ExactString: Int] = [:]
        // A content listed twice keeps its first id and takes the later
        // entry's flags, as tokenizers overwrites the token under that id.
        var addedIndex: [ExactString: Int] = [:]
        var maxAddedId: Int?
        for t in try root.optional("added_tokens")?.array() ?? [] {
            let special = try t.bool("special", default: false)
            let content = try t.required("content").string()
            _ = try t.required("id").int()
            guard !content.isEmpty else { continue }
            let key = ExactString(content)
            let id: Int
            if let existing = addedIds[key] ?? model.vocab[key] {
                id = existing
            } else if let m = maxAddedId, m >= model.vocab.count || model.vocab.isEmpty {
                id = m + 1
            } else {
                id = model.vocab.count
            }
            addedIds[key] = id
            maxAddedId = max(maxAddedId ?? id, id)
            let token = AddedToken(id: id, content: content,
                                   special: special,
                                   lstrip: try t.bool("lstrip", default: false), rstrip: try t.bool("rstrip", default: false),
                                   singleWord: try t.bool("single_word", default: false),
                                   normalized: try t.bool("normalized", default: !special))
            if let earlier = addedIndex[key] {
                added[earlier] = token
            } else {
                addedIndex[key] = added.count
                added.append(token)
            }
        }

        var tokenToId = model.vocab
        var maxId = model.vocab.values.max() ?? -1
        for t in added {
            tokenToId[ExactString(t.content)] = t.id
            maxId = max(maxId, t.id)
        }
        // Nothing could be encoded or decoded: a broken file, refused by name
        // rather than served (tokenizers loads it and decodes every id as "").
        guard maxId >= 0 else {
            throw TokenizerError.invalidField(path: "model.vocab", expected: "at least one token (model.vocab and added_tokens are empty)")
        }
        guard maxId < maxVocabularyId else {
            throw TokenizerError.invalidField(path: "added_tokens", expected: "ids below \(maxVocabularyId) (got \(maxId))")
        }
        var idToToken = [String?](repeating: nil, count: maxId + 1)
        for (token, id) in model.vocab where id >= 0 { idToToken[id] = token.value }
        // tokenizers' id_to_token gives a normalized added token in its
        // normalized form ("[NL]" behind Lowercase → "[nl]"), while
        // token_to_id only knows the original content.
        for t in added where t.id >= 0 {
            idToToken[t.id] = t.normalized ? (normalizer?.apply(t.content) ?? t.content) : t.content
        }
        let specialIds = Set(added.filter(\.special).map(\.id))

        var postProcessor = try root.optional("post_processor").map {
            try ComponentParser.postProcessor($0)
        }

        // tokenizer_config.json: bos/eos and the Llama add_bos/add_eos switches.
        var bos: Int?
        var eos: [Int] = []
        if let configJSON {
            let config = try JSONNode.document(configJSON, file: "tokenizer_config.json")
            func tokenId(_ key: String) throws -> Int? {
                guard let node = config.optional(key) else { return nil }
                let content = try node.optional("content")?.string() ?? node.string()
                guard let id = tokenToId[ExactString(content)] else {
                    throw TokenizerError.unknownToken(role: "tokenizer_config.json \(key)", token: content)
                }
                return id
            }
            bos = try tokenId("bos_token")
            if let e = try tokenId("eos_token") { eos.append(e) }
            // transformers LlamaTokenizerFast.update_post_processor rebuilds the
            // template from add_bos_token / add_eos_token, overriding tokenizer.json.
            let tokenizerClass = try config.string("tokenizer_class", default: "")
            let addBOS = try config.optional("add_bos_token")?.bool()
            let addEOS = try config.optional("add_eos_token")?.bool()
            if tokenizerClass.hasPrefix("Llama") || tokenizerClass.hasPrefix("CodeLlama"), addBOS != nil || addEOS != nil {
                var pieces: [PostProcessor.TemplatePiece] = []
                if addBOS ?? true, let bos { pieces.append(.ids([bos])) }
                pieces.append(.sequence)
                if addEOS ?? false, let e = eos.first { pieces.append(.ids([e])) }
                postProcessor = .template(pieces)
            }
        }
        if let generationConfigJSON {
            let gen = try JSONNode.document(generationConfigJSON, file: "generation_config.json")
            if bos == nil { bos = try gen.optional("bos_token_id")?.int() }
            if let e = gen.optional("eos_token_id") {
                let ids = e.value.arrayValue != nil ? try e.array().map { try $0.int() } : [try e.int()]
                for id in ids where !eos.contains(id) { eos.append(id) }
            }
        }
        if bos == nil { bos = postProcessor?.leadingIds.first }

        return Parts(addedVocabulary: AddedVocabulary(tokens: added, normalizer: normalizer),
                     preTokenizer: preTokenizer, model: model, postProcessor: postProcessor, decoder: decoder,
                     idToToken: idToToken, tokenToId: tokenToId, specialIds: specialIds,
                     bosTokenId: bos, eosTokenIds: eos)
    }

    static func bpeModel(_ node: JSONNode) throws -> BPEModel {
        // tokenizers writes `type`; a model without one but with merges is BPE.
        let type = try node.optional("type")?.string() ?? (node.optional("merges") != nil ? "BPE" : "unknown")
        guard type == "BPE" else { throw TokenizerError.unsupportedComponent(component: "model", type: type) }
        if let dropout = node.optional("dropout"), let p = dropout.value.doubleValue, p > 0 {
            throw TokenizerError.invalidField(path: dropout.path, expected: "null or 0 (BPE dropout is for training)")
        }
        var vocab: [ExactString: Int] = [:]
        let vocabNode = try node.required("vocab")
        // Raw members, not `members()`: a 150k-entry vocabulary needs no per-entry paths.
        guard let entries = vocabNode.value.objectValue else { throw vocabNode.mismatch("an object") }
        vocab.reserveCapacity(entries.count)
        for (token, value) in entries {
            // Ids index the embedding matrix; the bound also keeps the packed
            // merge keys (two 32-bit ids) exact.
            guard let id = value.intValue, id >= 0, id < maxVocabularyId else {
                throw TokenizerError.invalidField(path: "\(vocabNode.path).\(token)", expected: "an integer id in 0..<\(maxVocabularyId)")
            }
            vocab[ExactString(token)] = id
        }
        var merges: [(String, String)] = []
        for (rank, m) in (try node.optional("merges")?.array() ?? []).enumerated() {
            if let s = m.value.stringValue {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError.malformedMerge(rank: rank, merge: s) }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = m.value.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                merges.append((a, b))
            } else {
                throw TokenizerError.invalidField(path: m.path, expected: "\"a b\" or [\"a\", \"b\"]")
            }
        }
        return try BPEModel(vocab: vocab, merges: merges,
                            unkToken: node.optional("unk_token")?.string(),
                            fuseUnk: node.bool("fuse_unk", default: false),
                            byteFallback: node.bool("byte_fallback", default: false),
                            ignoreMerges: node.bool("ignore_merges", default: false),
                            continuingSubwordPrefix: node.optional("continuing_subword_prefix")?.string(),
                            endOfWordSuffix: node.optional("end_of_word_suffix")?.string())
    }
}
