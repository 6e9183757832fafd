import Foundation

/// A normalizer from tokenizer.json, applied to each segment of the input
/// between added tokens (tokenizers `AddedVocabulary::extract_and_normalize`
/// normalizes the pieces, never the whole string).
indirect enum Normalizer: Sendable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    /// `Prepend`: prefix the string, unless it is empty.
    case prepend(String)
    /// `Replace` with a `{"String": …}` pattern: every literal occurrence.
    case replace(pattern: String, content: String)
    /// `Strip`: trim whitespace on the chosen sides.
    case strip(left: Bool, right: Bool)
    case sequence([Normalizer])

    func apply(_ s: String) -> String {
        switch self {
        case .nfc: return s.precomposedStringWithCanonicalMapping
        case .nfd: return s.decomposedStringWithCanonicalMapping
        case .nfkc: return s.precomposedStringWithCompatibilityMapping
        case .nfkd: return s.decomposedStringWithCompatibilityMapping
        case .lowercase:
            // Rust `char::to_lowercase`, scalar by scalar (full mapping, no
            // context such as final sigma) — what NormalizedString::lowercase does.
            var out = String.UnicodeScalarView()
            for scalar in s.unicodeScalars {
                if scalar.value < 0x80 {
                    out.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value | 0x20)! : scalar)
                } else {
                    out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            }
            return String(out)
        case let .prepend(p): return s.isEmpty ? s : p + s
        case let .replace(pattern, content):
            return Self.replaceLiteral(s, pattern, content)
        case let .strip(left, right):
            var scalars = Array(s.unicodeScalars)
            if right { while let last = scalars.last, UnicodeClass.isWhitespace(last) { scalars.removeLast() } }
            if left {
                let n = scalars.prefix(while: UnicodeClass.isWhitespace).count
                scalars.removeFirst(n)
            }
            return String(String.UnicodeScalarView(scalars))
        case let .sequence(steps):
            return steps.reduce(s) { $1.apply($0) }
        }
    }

    /// Scalar-wise literal replacement (String.replacingOccurrences would
    /// compare graphemes, which is not what Rust `str::replace` does).
    static func replaceLiteral(_ s: String, _ pattern: String, _ content: String) -> String {
        let needle = Array(pattern.unicodeScalars)
        guard !needle.isEmpty else { return s }
        let src = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < src.count {
            if src[i] == needle[0] && i + needle.count <= src.count && src[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: content.unicodeScalars)
                i += needle.count
            } else {
                out.append(src[i])
                i += 1
            }
        }
        return String(out)
    }
}
