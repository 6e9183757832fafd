/// Incremental detokenizer for generated ids: `push` returns only text that
/// is final, so a UTF-8 character split across tokens (byte-level pieces or
/// `<0xNN>` byte-fallback tokens) is never emitted half-way. The
/// concatenation of everything `push` and `finish` return equals
/// `tokenizer.decode(allIds, skipSpecialTokens:)`.
///
/// How: the ids not yet known to be final are decoded together with a short
/// context of already-emitted ids, and only the new suffix is returned.
/// Trailing U+FFFD is held back (it may be an incomplete character), and so is
/// everything after a byte-fallback token (a later byte in the same run can
/// turn the whole run into U+FFFDs). Once all text is out, the window shrinks
/// to a context whose decoding is self-contained, so each push costs
/// O(window), not O(all ids).
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    /// Context ids (already emitted) followed by ids not yet final.
    private var window: [Int] = []
    /// Scalars of `decode(window)` already accounted for (context + emitted).
    private var consumed: [Unicode.Scalar] = []

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one generated id; returns the text that became final (maybe "").
    public mutating func push(_ id: Int) -> String {
        // decode() drops unknown ids and, when asked, special tokens.
        guard tokenizer.token(forId: id) != nil else { return "" }
        if skipSpecialTokens && tokenizer.isSpecial(id) { return "" }
        window.append(id)
        if tokenizer.isByteFallbackToken(id) { return "" }

        let text = Array(tokenizer.decode(window).unicodeScalars)
        guard text.starts(with: consumed) else {
            // Only a decoder that rewrites earlier text (e.g. Strip with
            // stop > 0) gets here; keep waiting rather than emit wrong text.
            return ""
        }
        var end = text.count
        while end > consumed.count && text[end - 1] == "\u{FFFD}" { end -= 1 }
        let emitted = String(String.UnicodeScalarView(text[consumed.count..<end]))
        consumed = Array(text[..<end])
        if end == text.count { compact() }
        return emitted
    }

    /// Returns whatever is still held back (incomplete characters decode to
    /// U+FFFD exactly as `decode` would) and resets the decoder.
    public mutating func finish() -> String {
        defer {
            window.removeAll()
            consumed.removeAll()
        }
        guard !window.isEmpty else { return "" }
        let text = Array(tokenizer.decode(window).unicodeScalars)
        guard text.starts(with: consumed) else { return "" }
        return String(String.UnicodeScalarView(text[consumed.count...]))
    }

    /// Shrinks the window to its last 1–4 ids when those decode, on their own,
    /// to non-empty text without U+FFFD: then the following ids decode after
    /// it exactly as they would after the full history (byte streams are at a
    /// character boundary, and no later id is the "first" token for
    /// Metaspace/Strip).
    private mutating func compact() {
        guard window.count > 4 else { return }
        for k in 1...4 {
            let context = Array(window.suffix(k))
            if tokenizer.isByteFallbackToken(context[0]) { continue }
            let text = Array(tokenizer.decode(context).unicodeScalars)
            if !text.isEmpty && !text.contains("\u{FFFD}") {
                window = context
                consumed = text
                return
            }
        }
    }
}
