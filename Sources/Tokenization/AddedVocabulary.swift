/// Finds added tokens in text before the model sees it
/// (tokenizers `tokenizer/added_vocabulary.rs`).
///
/// Two matchers, as in tokenizers: tokens with `normalized: false` are found
/// in the raw input; the remaining segments are normalized and then searched
/// for the `normalized: true` tokens (whose content is normalized the same way).
struct AddedVocabulary: Sendable {
    /// One piece of the input: either text for the model or an added token.
    struct Segment {
        var scalars: [Unicode.Scalar]
        var tokenId: Int?
        var atStart: Bool
    }

    /// Leftmost-longest matcher over a fixed set of strings
    /// (aho-corasick `MatchKind::LeftmostLongest`): a trie of the patterns'
    /// scalars, walked from a position for as long as the text follows it,
    /// so a position costs at most the longest pattern's length whatever
    /// the number of patterns (a list of candidates per first scalar cost
    /// their count times their length: 400 tokens `a…ab` against 100,000
    /// `a`s took 15 s).
    struct Matcher: Sendable {
        private struct Node: Sendable {
            var children: [Unicode.Scalar: Int32] = [:]
            /// The token index of the pattern ending here, -1 if none.
            var terminal: Int32 = -1
        }
        private var nodes = [Node()]
        var isEmpty: Bool { nodes.count == 1 }

        /// Patterns by (content scalars, token index); of two equal
        /// contents the first is kept.
        init(_ patterns: [([Unicode.Scalar], Int)]) {
            for (p, index) in patterns where !p.isEmpty {
                var node = 0
                for c in p {
                    if let next = nodes[node].children[c] {
                        node = Int(next)
                    } else {
                        nodes.append(Node())
                        nodes[node].children[c] = Int32(nodes.count - 1)
                        node = nodes.count - 1
                    }
                }
                if nodes[node].terminal < 0 { nodes[node].terminal = Int32(index) }
            }
        }

        /// The longest pattern starting at `i`: (end, token index).
        func match(_ s: [Unicode.Scalar], at i: Int) -> (end: Int, index: Int)? {
            var node = 0, j = i
            var best: (end: Int, index: Int)?
            while j < s.count, let next = nodes[node].children[s[j]] {
                node = Int(next)
                j += 1
                if nodes[node].terminal >= 0 { best = (j, Int(nodes[node].terminal)) }
            }
            return best
        }
    }

    let tokens: [AddedToken]
    private let rawMatcher: Matcher
    private let normalizedMatcher: Matcher
    let normalizer: Normalizer?

    init(tokens: [AddedToken], normalizer: Normalizer?) {
        self.tokens = tokens
        self.normalizer = normalizer
        var raw: [([Unicode.Scalar], Int)] = []
        var normalized: [([Unicode.Scalar], Int)] = []
        for (i, t) in tokens.enumerated() {
            if t.normalized {
                let content = normalizer?.apply(t.content) ?? t.content
                normalized.append((Array(content.unicodeScalars), i))
            } else {
                raw.append((Array(t.content.unicodeScalars), i))
            }
        }
        rawMatcher = Matcher(raw)
        normalizedMatcher = Matcher(normalized)
    }

    /// The input cut into added tokens and normalized text segments.
    func extractAndNormalize(_ text: String) -> [Segment] {
        let first = split(Segment(scalars: Array(text.unicodeScalars), tokenId: nil, atStart: true), rawMatcher)
        var out: [Segment] = []
        for seg in first {
            if seg.tokenId != nil {
                out.append(seg)
                continue
            }
            var s = seg
            if let normalizer {
                s.scalars = Array(normalizer.apply(String(String.UnicodeScalarView(seg.scalars))).unicodeScalars)
            }
            out.append(contentsOf: split(s, normalizedMatcher))
        }
        return out
    }

    /// added_vocabulary.rs `find_matches` + `split_with_indices`.
    private func split(_ segment: Segment, _ matcher: Matcher) -> [Segment] {
        let s = segment.scalars
        if matcher.isEmpty || s.isEmpty { return s.isEmpty ? [] : [segment] }
        var out: [Segment] = []
        var startOffset = 0
        var i = 0
        func text(_ r: Range<Int>) -> Segment {
            Segment(scalars: Array(s[r]), tokenId: nil, atStart: segment.atStart && r.lowerBound == 0)
        }
        while i < s.count {
            guard let (end, index) = matcher.match(s, at: i) else {
                i += 1
                continue
            }
            let token = tokens[index]
            var start = i
            var stop = end
            i = end // the match iterator resumes after this match even if it is rejected
            if token.singleWord {
                let startSpace = start == 0 || !UnicodeClass.isWordCharacter(s[start - 1])
                let stopSpace = stop == s.count || !UnicodeClass.isWordCharacter(s[stop])
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                var j = start
                while j > 0 && UnicodeClass.isWhitespace(s[j - 1]) { j -= 1 }
                start = max(j, startOffset)
            }
            if token.rstrip {
                // The search still resumes at the match's end: a next match
                // may begin inside the whitespace taken here (tokenizers
                // iterates its matches regardless of the stripping).
                while stop < s.count && UnicodeClass.isWhitespace(s[stop]) { stop += 1 }
            }
            if startOffset < start { out.append(text(startOffset..<start)) }
            out.append(Segment(scalars: Array(s[min(start, stop)..<stop]), tokenId: token.id, atStart: false))
            startOffset = stop
        }
        if startOffset < s.count { out.append(text(startOffset..<s.count)) }
        return out
    }
}
