import FileReading
import Foundation

/// A Hugging Face `tokenizer.json` tokenizer (BPE model, byte-level or
/// SentencePiece-style), producing the same ids as the `tokenizers` library.
///
/// Immutable after loading and safe to share between threads; the only
/// mutable state is an internal word cache behind a lock.
public final class Tokenizer: Sendable {
    let addedVocabulary: AddedVocabulary
    let preTokenizer: PreTokenizer?
    let model: BPEModel
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    /// id → token string (added tokens override the model vocabulary).
    let idToToken: [String?]
    /// token string → id (added tokens override the model vocabulary).
    let tokenToId: [ExactString: Int]
    let specialIds: Set<Int>

    /// Number of ids: one more than the largest id of the model vocabulary
    /// or the added tokens (the embedding rows a model needs at least).
    public let vocabSize: Int
    /// The beginning-of-sequence id from tokenizer_config.json `bos_token`
    /// (else generation_config.json, else the template's leading token).
    public let bosTokenId: Int?
    /// End-of-sequence ids: tokenizer_config.json `eos_token`, then any
    /// further ids from generation_config.json `eos_token_id`.
    public let eosTokenIds: [Int]

    /// Loads `tokenizer.json` from `folder`, plus `tokenizer_config.json` and
    /// `generation_config.json` when present.
    public convenience init(folder: URL) throws {
        let tokenizerJSON = try Self.read(folder.appendingPathComponent("tokenizer.json"))
        let config = try Self.readIfPresent(folder.appendingPathComponent("tokenizer_config.json"))
        let generation = try Self.readIfPresent(folder.appendingPathComponent("generation_config.json"))
        try self.init(tokenizerJSON: tokenizerJSON, configJSON: config, generationConfigJSON: generation)
    }

    /// Builds a tokenizer from the contents of tokenizer.json and (optionally)
    /// tokenizer_config.json.
    public convenience init(tokenizerJSON: Data, configJSON: Data?) throws {
        try self.init(tokenizerJSON: tokenizerJSON, configJSON: configJSON, generationConfigJSON: nil)
    }

    init(tokenizerJSON: Data, configJSON: Data?, generationConfigJSON: Data?) throws {
        let parts = try TokenizerLoader.load(tokenizerJSON: tokenizerJSON, configJSON: configJSON,
                                             generationConfigJSON: generationConfigJSON)
        addedVocabulary = parts.addedVocabulary
        preTokenizer = parts.preTokenizer
        model = parts.model
        postProcessor = parts.postProcessor
        decoder = parts.decoder
        idToToken = parts.idToToken
        tokenToId = parts.tokenToId
        specialIds = parts.specialIds
        vocabSize = parts.idToToken.count
        bosTokenId = parts.bosTokenId
        eosTokenIds = parts.eosTokenIds
    }

    private static func read(_ url: URL) throws(TokenizerError) -> Data {
        do { return try RegularFile.read(url.path, limit: .modelFile) } catch {
            throw .unreadableFile(path: url.path, reason: error.reason)
        }
    }

    /// An optional file of the model folder: nil when absent.
    private static func readIfPresent(_ url: URL) throws(TokenizerError) -> Data? {
        do { return try RegularFile.readIfPresent(url.path, limit: .modelFile) } catch {
            throw .unreadableFile(path: url.path, reason: error.reason)
        }
    }

    /// Token ids for `text`. Added tokens in the text are always recognised;
    /// `addSpecialTokens` applies the post-processor (e.g. prepends BOS).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        for segment in addedVocabulary.extractAndNormalize(text) {
            if let id = segment.tokenId {
                ids.append(id)
                continue
            }
            let piece = PreToken(scalars: segment.scalars, atStart: segment.atStart)
            let words = preTokenizer?.apply([piece]) ?? [piece]
            for word in words { ids.append(contentsOf: model.tokenize(word.scalars)) }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.process(ids) }
        return ids
    }

    /// The text of `ids` as tokenizers' `decode` gives it (unknown ids are
    /// skipped; with `skipSpecialTokens`, special added tokens too).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let t = token(forId: id) else { continue }
            if skipSpecialTokens && specialIds.contains(id) { continue }
            tokens.append(t)
        }
        return decodeTokens(tokens)
    }

    /// Runs the decoder on token strings (tokenizers joins with spaces when
    /// there is no decoder).
    func decodeTokens(_ tokens: [String]) -> String {
        decoder?.decode(tokens) ?? tokens.joined(separator: " ")
    }

    /// The bytes token `id` stands for (`TokenDecoder.bytes(of:)`): a
    /// byte-level or `<0xNN>` token's raw bytes, even when they are only part
    /// of a character; else the UTF-8 of its decoded text.
    public func bytes(forId id: Int) -> [UInt8] {
        if let t = token(forId: id), let bytes = decoder?.bytes(of: t) { return bytes }
        return Array(decode([id]).utf8)
    }

    /// The token string of `id` (its vocabulary form, e.g. `Ġthe`, `▁the`).
    public func token(forId id: Int) -> String? {
        id >= 0 && id < idToToken.count ? idToToken[id] : nil
    }

    /// The id of a token string (vocabulary form), if it exists.
    public func id(forToken token: String) -> Int? { tokenToId[ExactString(token)] }

    /// Whether `id` is a special added token (skipped by `skipSpecialTokens`).
    public func isSpecial(_ id: Int) -> Bool { specialIds.contains(id) }

    /// The token strings of `ids` (like `convert_ids_to_tokens`).
    public func tokens(forIds ids: [Int]) -> [String] { ids.compactMap(token(forId:)) }

    /// A decoder for generated ids that only ever returns complete text.
    public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    /// Whether `id` is a `<0xNN>` byte-fallback token whose text depends on
    /// the byte tokens that follow it (ByteFallback decodes a whole run at once).
    func isByteFallbackToken(_ id: Int) -> Bool {
        guard model.byteFallback, let t = token(forId: id) else { return false }
        return TokenDecoder.byteTokenValue(t) != nil
    }
}
