/// The patterns a `Split` pre-tokenizer (or ByteLevel with `use_regex`) can
/// use. Regexes are not interpreted: each known pattern string is recognised
/// verbatim and runs as a hand-written scanner that reproduces Oniguruma's
/// leftmost, first-alternative-wins matching of that exact pattern.
enum SplitPattern: Sendable {
    /// GPT-4 cl100k / Llama-3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` (Qwen2 uses `\p{N}` alone: maxDigits 1).
    case gpt4(maxDigits: Int)
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// A `{"String": …}` pattern: literal occurrences.
    case literal([Unicode.Scalar])

    static let gpt4Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// tiktoken's spelling of the GPT-2 pattern; the same matches (no
    /// contraction is a prefix of another, so alternation order is moot).
    static let gpt2TiktokenPattern = #"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Recognises a `{"Regex": …}` pattern string.
    static func regex(_ pattern: String, component: String) throws -> SplitPattern {
        switch pattern {
        case gpt4Pattern: return .gpt4(maxDigits: 3)
        case qwen2Pattern: return .gpt4(maxDigits: 1)
        case gpt2Pattern, gpt2TiktokenPattern: return .gpt2
        default: throw TokenizerError.unsupportedPattern(component: component, pattern: pattern)
        }
    }

    /// Non-overlapping matches, left to right (like `find_iter`).
    func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        let n = s.count
        switch self {
        case .literal(let needle):
            guard !needle.isEmpty else { return [] }
            while i + needle.count <= n {
                if s[i] == needle[0] && s[i..<(i + needle.count)].elementsEqual(needle) {
                    out.append(i..<(i + needle.count))
                    i += needle.count
                } else {
                    i += 1
                }
            }
        case .gpt4(let maxDigits):
            while i < n {
                if let end = Self.gpt4Match(s, i, maxDigits: maxDigits) {
                    out.append(i..<end)
                    i = end
                } else {
                    i += 1
                }
            }
        case .gpt2:
            while i < n {
                if let end = Self.gpt2Match(s, i) {
                    out.append(i..<end)
                    i = end
                } else {
                    i += 1
                }
            }
        }
        return out
    }

    /// Case-insensitive ASCII letter test for the contraction alternative.
    /// Oniguruma's simple case folding also maps U+017F (long s) to `s`
    /// (verified against tokenizers 0.23: "x'ſa" → "x", "'ſ", "a").
    @inline(__always)
    private static func folded(_ c: Unicode.Scalar) -> UInt32 {
        if c.value == 0x17F { return 0x73 }
        if c.value >= 0x41 && c.value <= 0x5A { return c.value | 0x20 }
        return c.value
    }

    /// Length of the contraction `'s|'t|'re|'ve|'m|'ll|'d` at `i` (which holds `'`), or 0.
    @inline(__always)
    private static func contraction(_ s: [Unicode.Scalar], _ i: Int, caseInsensitive: Bool) -> Int {
        let n = s.count
        guard i + 1 < n else { return 0 }
        let a = caseInsensitive ? folded(s[i + 1]) : s[i + 1].value
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2 // s t m d
        default: break
        }
        guard i + 2 < n else { return 0 }
        let b = caseInsensitive ? folded(s[i + 2]) : s[i + 2].value
        switch (a, b) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return 3 // re ve ll
        default: return 0
        }
    }

    /// End of the whitespace alternatives `\s+(?!\S)|\s+` starting at `i`
    /// (a whitespace scalar): greedy, then giving back one scalar so the
    /// lookahead sees whitespace, unless the run reaches the end.
    @inline(__always)
    private static func whitespaceRunEnd(_ s: [Unicode.Scalar], _ i: Int) -> Int {
        var j = i
        while j < s.count && UnicodeClass.isWhitespace(s[j]) { j += 1 }
        return j
    }

    private static func gpt4Match(_ s: [Unicode.Scalar], _ i: Int, maxDigits: Int) -> Int? {
        let n = s.count
        let c = s[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c == "'" {
            let len = contraction(s, i, caseInsensitive: true)
            if len > 0 { return i + len }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        let cIsLetter = UnicodeClass.isLetter(c)
        if cIsLetter || (!UnicodeClass.isNewline(c) && !UnicodeClass.isNumber(c) && i + 1 < n && UnicodeClass.isLetter(s[i + 1])) {
            var j = cIsLetter ? i + 1 : i + 2
            while j < n && UnicodeClass.isLetter(s[j]) { j += 1 }
            return j
        }
        // \p{N}{1,maxDigits}
        if UnicodeClass.isNumber(c) {
            var j = i + 1
            while j < n && j - i < maxDigits && UnicodeClass.isNumber(s[j]) { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if c == " " && i + 1 < n && UnicodeClass.isOther(s[i + 1]) { j = i + 1 }
        if UnicodeClass.isOther(s[j]) {
            while j < n && UnicodeClass.isOther(s[j]) { j += 1 }
            while j < n && UnicodeClass.isNewline(s[j]) { j += 1 }
            return j
        }
        // c is whitespace from here on.
        let runEnd = whitespaceRunEnd(s, i)
        // \s*[\r\n]+ : backtracking leaves the match ending at the run's last newline.
        var k = runEnd - 1
        while k >= i && !UnicodeClass.isNewline(s[k]) { k -= 1 }
        if k >= i { return k + 1 }
        // \s+(?!\S) then \s+
        if runEnd == n || runEnd - i == 1 { return runEnd }
        return runEnd - 1
    }

    private static func gpt2Match(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        let n = s.count
        let c = s[i]
        if c == "'" {
            let len = contraction(s, i, caseInsensitive: false)
            if len > 0 { return i + len }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional space is
        // taken when the next scalar starts the class.
        let start = (c == " " && i + 1 < n && !UnicodeClass.isWhitespace(s[i + 1])) ? i + 1 : i
        let first = s[start]
        let classTest: (Unicode.Scalar) -> Bool
        if UnicodeClass.isLetter(first) {
            classTest = UnicodeClass.isLetter
        } else if UnicodeClass.isNumber(first) {
            classTest = UnicodeClass.isNumber
        } else if UnicodeClass.isOther(first) {
            classTest = UnicodeClass.isOther
        } else {
            let runEnd = whitespaceRunEnd(s, i)
            if runEnd == n || runEnd - i == 1 { return runEnd }
            return runEnd - 1
        }
        var j = start + 1
        while j < n && classTest(s[j]) { j += 1 }
        return j
    }
}
