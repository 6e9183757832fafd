extension TokenDecoder {
    /// The bytes one token stands for, before they become text, where a
    /// step of this decoder maps tokens to bytes: ByteLevel's stand-in
    /// characters, or a ByteFallback `<0xNN>` token. Nil otherwise (the
    /// token's text is then its UTF-8). A token holding part of a character
    /// decodes alone to U+FFFD; these are the bytes that, joined with its
    /// neighbours', give the character back (what OpenAI's `bytes` is for).
    func bytes(of token: String) -> [UInt8]? {
        switch self {
        case .byteLevel:
            var out: [UInt8] = []
            for s in token.unicodeScalars {
                // byte_level.rs: a token with a character outside the table
                // stands for its own UTF-8 bytes.
                guard let b = ByteLevelAlphabet.scalarToByte[s.value] else { return Array(token.utf8) }
                out.append(b)
            }
            return out
        case .byteFallback:
            return Self.byteTokenValue(token).map { [$0] }
        case .sequence(let steps):
            for step in steps { if let bytes = step.bytes(of: token) { return bytes } }
            return nil
        default:
            return nil
        }
    }
}
