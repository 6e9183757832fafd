/// The places where the readers of different files legitimately differ.
public struct JSONParseOptions: Sendable, Equatable {
    /// What to do with a `\uD800`–`\uDFFF` escape that is not part of a
    /// high+low surrogate pair (a Swift `String` cannot hold one).
    public enum LoneSurrogates: Sendable, Equatable {
        /// Refuse the document (serde_json, hence `tokenizers`, does).
        case reject
        /// Decode it as U+FFFD, as a lenient decoder would.
        case replace
    }

    /// Deepest allowed nesting of arrays/objects; keeps hostile input from
    /// overflowing the stack (the parser is recursive).
    public var maxDepth: Int
    /// Accept `NaN`, `Infinity` and `-Infinity`, which Python's `json.dump`
    /// writes for non-finite floats (not RFC 8259).
    public var allowNonFiniteNumbers: Bool
    /// Policy for unpaired surrogate escapes.
    public var loneSurrogates: LoneSurrogates
    /// Refuse an object that repeats a key (byte-exact). RFC 8259 §4 leaves
    /// duplicates to the reader; request bodies and safetensors headers refuse
    /// them, because silently taking one of them hides client bugs and lets two
    /// readers of the same file disagree.
    public var rejectDuplicateKeys: Bool

    public init(maxDepth: Int = 512, allowNonFiniteNumbers: Bool = false, loneSurrogates: LoneSurrogates = .reject,
                rejectDuplicateKeys: Bool = false) {
        self.maxDepth = maxDepth
        self.allowNonFiniteNumbers = allowNonFiniteNumbers
        self.loneSurrogates = loneSurrogates
        self.rejectDuplicateKeys = rejectDuplicateKeys
    }

    /// Strict RFC 8259 for input from the network: finite numbers only, lone
    /// surrogates and duplicate keys refused, nesting bounded.
    public static let strict = JSONParseOptions(maxDepth: 64, rejectDuplicateKeys: true)
}
