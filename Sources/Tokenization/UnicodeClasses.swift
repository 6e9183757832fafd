/// The character classes the pre-tokenizer patterns use, over Unicode
/// scalars (Rust `char`s — tokenizers never looks at grapheme clusters).
///
/// The patterns run on Oniguruma in `tokenizers`; its Unicode `\s` is
/// U+0009–U+000D, U+0085 and the Zs/Zl/Zp categories, which is exactly the
/// Unicode `White_Space` property. `\p{L}` is Lu|Ll|Lt|Lm|Lo and `\p{N}` is
/// Nd|Nl|No.
enum UnicodeClass {
    @inline(__always)
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always)
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v >= 0x30 && v <= 0x39 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always)
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return s.properties.isWhitespace
    }

    @inline(__always)
    static func isNewline(_ s: Unicode.Scalar) -> Bool { s.value == 0x0A || s.value == 0x0D }

    /// `[^\s\p{L}\p{N}]`: punctuation, symbols, controls, marks…
    @inline(__always)
    static func isOther(_ s: Unicode.Scalar) -> Bool { !isWhitespace(s) && !isLetter(s) && !isNumber(s) }

    /// Regex `\w` (Unicode): alphabetic, marks, decimal digits, connector
    /// punctuation — used for `single_word` added tokens.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s.properties.isAlphabetic { return true }
        switch s.properties.generalCategory {
        case .decimalNumber, .connectorPunctuation, .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return s.properties.isJoinControl
        }
    }
}
