/// Watches generated text for stop strings (OpenAI `stop`).
///
/// `push` returns the text that can safely be shown now: anything that might
/// be the beginning of a stop string is held back until the next piece
/// settles it. When a stop string appears, the text before it is returned
/// with `stopped == true` — and the stop string itself when `includingStop`
/// (vLLM's `include_stop_str_in_output`); what follows it is never
/// returned. Matching is by Unicode scalars, so a stop string split across
/// pieces anywhere (even inside a grapheme) is caught.
public struct StopMatcher: Sendable {
    private let stops: [[Unicode.Scalar]]
    private let includingStop: Bool
    private var held: [Unicode.Scalar] = []
    /// Whether a stop string has been seen.
    public private(set) var stopped = false
    /// The stop string that ended the text, once `stopped`.
    public private(set) var matchedStop: String?

    /// Empty stop strings are ignored.
    public init(stops: [String], includingStop: Bool = false) {
        self.stops = stops.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
        self.includingStop = includingStop
    }

    /// Feeds a piece of text; returns what may be emitted and whether a stop
    /// string was hit (after which every push returns `("", true)`).
    public mutating func push(_ text: String) -> (emit: String, stopped: Bool) {
        if stopped { return ("", true) }
        held.append(contentsOf: text.unicodeScalars)

        // The earliest occurrence of any stop string ends the text.
        var earliest: (start: Int, stop: Int)?
        for (index, stop) in stops.enumerated() {
            if let start = Self.firstIndex(of: stop, in: held), start < (earliest?.start ?? Int.max) {
                earliest = (start, index)
            }
        }
        if let (start, index) = earliest {
            let end = includingStop ? start + stops[index].count : start
            let emit = String(String.UnicodeScalarView(held[..<end]))
            held.removeAll()
            stopped = true
            matchedStop = String(String.UnicodeScalarView(stops[index]))
            return (emit, true)
        }

        // Hold back the longest suffix that is a proper prefix of a stop string.
        var keep = 0
        for stop in stops {
            var length = min(stop.count - 1, held.count)
            while length > keep {
                if held[(held.count - length)...].elementsEqual(stop[..<length]) {
                    keep = length
                    break
                }
                length -= 1
            }
        }
        let emit = String(String.UnicodeScalarView(held[..<(held.count - keep)]))
        held.removeFirst(held.count - keep)
        return (emit, false)
    }

    /// End of generation: returns the held-back text (nothing after a stop).
    public mutating func finish() -> String {
        defer { held.removeAll() }
        return stopped ? "" : String(String.UnicodeScalarView(held))
    }

    private static func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
