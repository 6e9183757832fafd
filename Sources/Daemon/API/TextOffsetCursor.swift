import Tokenization

/// Where each generated token's text starts in a completions choice's text
/// (`text_offset`, in Unicode scalars as OpenAI counts characters): each
/// token moves the cursor by the text it adds to the choice, decoded
/// incrementally as the choice's own text is — so a special token that
/// `skip_special_tokens` leaves out adds nothing, and the bytes of a
/// character split over tokens add nothing until it is complete. (Adding
/// each token's own string length, as vLLM does, runs past the text after a
/// skipped special token.)
struct TextOffsetCursor {
    private(set) var offset: Int
    private var decoder: StreamingDecoder

    /// - Parameter start: the echo's length, where generated text begins.
    init(start: Int, tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        offset = start
        decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: skipSpecialTokens)
    }

    /// The offset of token `id`, then the cursor moved past its text.
    mutating func advance(over id: Int) -> Int {
        let at = offset
        offset += decoder.push(id).unicodeScalars.count
        return at
    }
}
