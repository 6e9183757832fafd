/// What a split does with the matched delimiters
/// (tokenizers `SplitDelimiterBehavior`, normalizer.rs `NormalizedString::split`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `0..<count` into pieces given the delimiter `matches` (sorted,
    /// non-overlapping). Empty pieces are dropped, as tokenizers does.
    func pieces(count: Int, matches: [Range<Int>], invert: Bool = false) -> [Range<Int>] {
        // Every span of the input tagged as delimiter (true) or not.
        var spans: [(Range<Int>, Bool)] = []
        var pos = 0
        for m in matches {
            if pos < m.lowerBound { spans.append((pos..<m.lowerBound, invert)) }
            spans.append((m, !invert))
            pos = m.upperBound
        }
        if pos < count { spans.append((pos..<count, invert)) }

        var out: [Range<Int>] = []
        switch self {
        case .removed:
            out = spans.filter { !$0.1 }.map(\.0)
        case .isolated:
            out = spans.map(\.0)
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in spans {
                if isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            var reversed: [Range<Int>] = []
            for (range, isMatch) in spans.reversed() {
                if isMatch && !previousMatch, let last = reversed.last {
                    reversed[reversed.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    reversed.append(range)
                }
                previousMatch = isMatch
            }
            out = reversed.reversed()
        case .contiguous:
            // Neighbours with the same flag merge — delimiters, and after
            // `invert` the non-delimiters, which can then be adjacent
            // (normalizer.rs `Contiguous`: is_match == previous_match).
            var previousMatch = false
            for (range, isMatch) in spans {
                if isMatch == previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    out.append(range)
                }
                previousMatch = isMatch
            }
        }
        return out.filter { !$0.isEmpty }
    }
}
