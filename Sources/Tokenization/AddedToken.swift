/// One entry of tokenizer.json `added_tokens`.
struct AddedToken: Sendable {
    let id: Int
    let content: String
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
    let special: Bool
    /// Eat whitespace on the left / right of a match into the token.
    let lstrip: Bool
    let rstrip: Bool
    /// Only match when not inside a word.
    let singleWord: Bool
    /// Matched in the normalized text (its content normalized too) rather
    /// than in the raw input.
    let normalized: Bool
}
