/// The BPE model (tokenizers `models::bpe::BPE`): a word becomes its
/// scalars' ids, then merges are applied lowest rank first.
struct BPEModel: Sendable {
    /// A merge result: the pair's rank (position in `merges`) and the merged id.
    struct Merge: Sendable {
        let rank: Int32
        let newId: Int32
    }

    let vocab: [ExactString: Int]
    /// Pair (left id << 32 | right id) → merge.
    let merges: [UInt64: Merge]
    /// Ids of the single-scalar vocabulary entries: the fast path for the
    /// initial symbols when there is no subword prefix/suffix.
    let scalarIds: [UInt32: Int]
    let unkId: Int?
    let fuseUnk: Bool
    let byteFallback: Bool
    /// `<0xNN>` ids (256), nil where missing.
    let byteIds: [Int?]
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let cache = BPECache()

    init(vocab: [ExactString: Int], merges: [(String, String)], unkToken: String?, fuseUnk: Bool, byteFallback: Bool,
         ignoreMerges: Bool, continuingSubwordPrefix: String?, endOfWordSuffix: String?) throws {
        self.vocab = vocab
        var scalarIds: [UInt32: Int] = [:]
        for (token, id) in vocab {
            let scalars = token.value.unicodeScalars
            if scalars.count == 1, let s = scalars.first { scalarIds[s.value] = id }
        }
        self.scalarIds = scalarIds
        if let unk = unkToken {
            guard let id = vocab[ExactString(unk)] else { throw TokenizerError.unknownToken(role: "model.unk_token", token: unk) }
            unkId = id
        } else {
            unkId = nil
        }
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        byteIds = (0..<256).map { vocab[ExactString(Self.byteTokenName(UInt8($0)))] }
        self.ignoreMerges = ignoreMerges
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix

        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        let prefixLength = continuingSubwordPrefix.map { $0.unicodeScalars.count } ?? 0
        for (rank, (a, b)) in merges.enumerated() {
            guard let aId = vocab[ExactString(a)] else { throw TokenizerError.mergeTokenNotInVocabulary(rank: rank, token: a) }
            guard let bId = vocab[ExactString(b)] else { throw TokenizerError.mergeTokenNotInVocabulary(rank: rank, token: b) }
            // bpe/model.rs: the merged token drops the right side's subword prefix.
            var right = b
            if let p = continuingSubwordPrefix, b.utf8.starts(with: p.utf8) {
                right = String(String.UnicodeScalarView(b.unicodeScalars.dropFirst(prefixLength)))
            }
            let merged = a + right
            guard let newId = vocab[ExactString(merged)] else {
                throw TokenizerError.mergeTokenNotInVocabulary(rank: rank, token: merged)
            }
            // A later duplicate overwrites an earlier one (HashMap collect in tokenizers).
            table[Self.key(aId, bId)] = Merge(rank: Int32(rank), newId: Int32(newId))
        }
        self.merges = table
    }

    /// `<0xNN>` with upper-case hex, as tokenizers formats it (`{b:#04X}`).
    static func byteTokenName(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    @inline(__always)
    static func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b)) }

    /// Ids for one pre-tokenized word.
    func tokenize(_ word: [Unicode.Scalar]) -> [Int] {
        if word.isEmpty { return [] }
        let key = ExactString(String(String.UnicodeScalarView(word)))
        // Llama-3's `ignore_merges`: a word that is itself a token is emitted as is.
        if ignoreMerges, let id = vocab[key] { return [id] }
        if let hit = cache.get(key) { return hit }
        var symbols = initialSymbols(word)
        applyMerges(&symbols)
        // Like tokenizers (cache.rs MAX_LENGTH), only short words are cached,
        // so a long unbroken input cannot pin megabytes in the cache.
        if word.count < 256 { cache.set(key, symbols) }
        return symbols
    }

    /// The per-scalar ids before merging (bpe/model.rs `merge_word`),
    /// including byte fallback and unknown-token fusing.
    private func initialSymbols(_ word: [Unicode.Scalar]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(word.count)
        var pendingUnk = false
        let plain = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        for (i, scalar) in word.enumerated() {
            var id: Int?
            var piece = ""
            if plain {
                id = scalarIds[scalar.value]
            } else {
                piece = String(Character(scalar))
                if i > 0, let p = continuingSubwordPrefix { piece = p + piece }
                if i == word.count - 1, let s = endOfWordSuffix { piece += s }
                id = vocab[ExactString(piece)]
            }
            if let id {
                if pendingUnk, let unkId { out.append(unkId); pendingUnk = false }
                out.append(id)
                continue
            }
            if byteFallback {
                if plain { piece = String(Character(scalar)) }
                let ids = piece.utf8.map { byteIds[Int($0)] }
                if ids.allSatisfy({ $0 != nil }) {
                    // tokenizers appends the byte tokens without flushing a pending unk.
                    out.append(contentsOf: ids.compactMap { $0 })
                    continue
                }
            }
            if let unkId {
                if pendingUnk && !fuseUnk { out.append(unkId) }
                pendingUnk = true
            }
        }
        if pendingUnk, let unkId { out.append(unkId) }
        return out
    }
}
