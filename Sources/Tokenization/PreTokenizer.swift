/// A pre-tokenizer from tokenizer.json: cuts each normalized segment into the
/// words the model sees, possibly rewriting them (ByteLevel, Metaspace).
indirect enum PreTokenizer: Sendable {
    /// `Split`: cut on a pattern with a delimiter behaviour.
    case split(pattern: SplitPattern, behavior: SplitBehavior, invert: Bool)
    /// `ByteLevel`: optional prefix space, optional GPT-2 regex split, then
    /// every byte mapped to its printable stand-in.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Metaspace`: spaces become the replacement (▁), which is prepended per
    /// `prepend_scheme`; with `split`, words are cut before each ▁.
    case metaspace(replacement: Unicode.Scalar, prepend: PrependScheme, split: Bool)
    /// `Digits`: isolate digits, one by one or as runs.
    case digits(individual: Bool)
    /// `WhitespaceSplit`: split on whitespace, dropping it.
    case whitespaceSplit
    case sequence([PreTokenizer])

    enum PrependScheme: String, Sendable {
        case first, always, never
    }

    func apply(_ pieces: [PreToken]) -> [PreToken] {
        switch self {
        case let .sequence(steps):
            return steps.reduce(pieces) { $1.apply($0) }
        default:
            var out: [PreToken] = []
            out.reserveCapacity(pieces.count)
            for piece in pieces { applyOne(piece, into: &out) }
            return out
        }
    }

    private func applyOne(_ piece: PreToken, into out: inout [PreToken]) {
        switch self {
        case let .split(pattern, behavior, invert):
            let ranges = behavior.pieces(count: piece.scalars.count, matches: pattern.matches(in: piece.scalars), invert: invert)
            Self.emit(piece, ranges, into: &out, transform: nil)

        case let .byteLevel(addPrefixSpace, useRegex):
            var p = piece
            // byte_level.rs: prefix a space unless the piece already starts with one.
            if addPrefixSpace && p.scalars.first != " " { p.scalars.insert(" ", at: 0) }
            let ranges = useRegex
                ? SplitBehavior.isolated.pieces(count: p.scalars.count, matches: SplitPattern.gpt2.matches(in: p.scalars))
                : (p.scalars.isEmpty ? [] : [0..<p.scalars.count])
            Self.emit(p, ranges, into: &out, transform: ByteLevelAlphabet.encode)

        case let .metaspace(replacement, prepend, split):
            var p = piece
            p.scalars = p.scalars.map { $0 == " " ? replacement : $0 }
            // metaspace.rs: prepend unless the piece already starts with the
            // replacement; "first" only for the piece at original offset 0.
            // (NormalizedString::prepend does nothing on an empty string.)
            if !p.scalars.isEmpty && p.scalars.first != replacement {
                if prepend == .always || (prepend == .first && p.atStart) {
                    p.scalars.insert(replacement, at: 0)
                }
            }
            if split {
                let matches = p.scalars.indices.filter { p.scalars[$0] == replacement }.map { $0..<($0 + 1) }
                Self.emit(p, SplitBehavior.mergedWithNext.pieces(count: p.scalars.count, matches: matches), into: &out, transform: nil)
            } else if !p.scalars.isEmpty {
                out.append(p)
            }

        case let .digits(individual):
            var matches: [Range<Int>] = []
            var i = 0
            let s = piece.scalars
            // digits.rs uses `char::is_numeric` (Nd|Nl|No).
            while i < s.count {
                if UnicodeClass.isNumber(s[i]) {
                    var j = i + 1
                    if !individual { while j < s.count && UnicodeClass.isNumber(s[j]) { j += 1 } }
                    matches.append(i..<j)
                    i = j
                } else {
                    i += 1
                }
            }
            Self.emit(piece, SplitBehavior.isolated.pieces(count: s.count, matches: matches), into: &out, transform: nil)

        case .whitespaceSplit:
            var matches: [Range<Int>] = []
            var i = 0
            let s = piece.scalars
            while i < s.count {
                if UnicodeClass.isWhitespace(s[i]) {
                    var j = i + 1
                    while j < s.count && UnicodeClass.isWhitespace(s[j]) { j += 1 }
                    matches.append(i..<j)
                    i = j
                } else {
                    i += 1
                }
            }
            Self.emit(piece, SplitBehavior.removed.pieces(count: s.count, matches: matches), into: &out, transform: nil)

        case let .sequence(steps):
            out.append(contentsOf: steps.reduce([piece]) { $1.apply($0) })
        }
    }

    private static func emit(_ piece: PreToken, _ ranges: [Range<Int>], into out: inout [PreToken],
                             transform: ((ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar])?) {
        for r in ranges {
            let slice = piece.scalars[r]
            out.append(PreToken(scalars: transform?(slice) ?? Array(slice), atStart: piece.atStart && r.lowerBound == 0))
        }
    }
}
