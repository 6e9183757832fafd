/// The rule for an adapter's name, the one check the registry (uploads,
/// `/adapters/NAME`) and the serving engine (`?adapter=`, `"model"`, adapter
/// specs) share. A name is either
///
/// - plain: 1–64 characters from `A-Z a-z 0-9 . _ -`, the first a letter or
///   digit; or
/// - a Hugging Face hub id `ORG/NAME`: exactly one `/`, each side 1–96
///   characters from `A-Z a-z 0-9 . _ -` that starts and ends with a letter,
///   digit or `_`, no `--` or `..` anywhere, not ending in `.git` — the
///   rules of huggingface_hub's `validate_repo_id`, so every id the Hub
///   accepts is served by that id (as vLLM serves LoRA modules by hub id).
///
/// Why: names become URL path segments (`/adapters/NAME`, a hub id as two),
/// folder names (`DIR/ORG/NAME`, the hub cache's `models--ORG--NAME`) and
/// file names (`NAME-merged.safetensors`), where `.` and `..` mean "here" and
/// "parent", a leading `.` hides a file and a leading `-` reads as a
/// command-line option; `--` would make `models--ORG--NAME` ambiguous; the
/// `:` and `,` of a spec (`a:0.7,b:0.3`) can never be part of one.
public struct AdapterName: Sendable, Hashable, CustomStringConvertible {
    /// Longest plain name, in characters (all of them ASCII).
    public static let maxLength = 64
    /// Longest side of a hub id (`ORG` or `NAME`), as huggingface_hub's
    /// `REPO_ID_REGEX` allows.
    public static let maxHubPartLength = 96
    /// The longest name the rule accepts, in characters: a hub id with both
    /// sides at their longest, 96 + `/` + 96 = 193. The registry's schema
    /// bounds its `name` column by this (`AdapterRegistry.migrations`, v6),
    /// so whatever passes the rule can be stored.
    public static let longestLength = max(maxLength, 2 * maxHubPartLength + 1)

    public let text: String

    /// `text` as a name, or the rule it breaks.
    public init(_ text: String) throws(AdapterNameError) {
        if let rule = Self.brokenRule(text) { throw AdapterNameError(name: text, rule: rule) }
        self.text = text
    }

    public var description: String { text }

    /// `ORG` and `NAME` of a hub id, nil for a plain name.
    public var hubID: (organization: Substring, name: Substring)? {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        return (text[..<slash], text[text.index(after: slash)...])
    }

    /// The first rule `text` breaks, said so that the client can fix it; nil
    /// for a valid name.
    public static func brokenRule(_ text: String) -> String? {
        let scalars = text.unicodeScalars
        guard !scalars.isEmpty else { return "a name must not be empty" }
        if let bad = scalars.first(where: { !isNameScalar($0) && $0 != "/" }) {
            let shown = bad.properties.generalCategory == .control || bad == " " ? "" : " '\(bad)'"
            return "character\(shown) U+\(hex(bad.value)) is not allowed; use only A-Z a-z 0-9 . _ -"
                + " (and one '/' in a hub id ORG/NAME)"
        }
        let slashes = scalars.count(where: { $0 == "/" })
        if slashes == 0 { return plainRule(scalars) }
        guard slashes == 1 else {
            return "\(slashes) '/' characters; a hub id has exactly one (ORG/NAME)"
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        for (part, side) in zip(parts, ["ORG (before the '/')", "NAME (after the '/')"]) {
            if let rule = hubPartRule(part.unicodeScalars) { return "in the hub id ORG/NAME, \(side) '\(part)' \(rule)" }
        }
        for pair in ["--", ".."] where text.contains(pair) {
            return "a hub id ORG/NAME must not contain '\(pair)'"
        }
        if text.hasSuffix(".git") { return "a hub id ORG/NAME must not end in '.git'" }
        return nil
    }

    private static func plainRule(_ scalars: String.UnicodeScalarView) -> String? {
        guard scalars.count <= maxLength else {
            return "\(scalars.count) characters, at most \(maxLength) allowed"
        }
        guard let first = scalars.first, isLetterOrDigit(first) else {
            return "a name must start with a letter or digit (A-Z a-z 0-9), not '\(scalars.first ?? " ")'"
        }
        return nil
    }

    /// huggingface_hub's `\b[\w\-.]{1,96}\b` in ASCII: word characters
    /// (letters, digits, `_`) at both ends.
    private static func hubPartRule(_ scalars: Substring.UnicodeScalarView) -> String? {
        guard let first = scalars.first, let last = scalars.last else { return "is empty" }
        guard scalars.count <= maxHubPartLength else {
            return "has \(scalars.count) characters, at most \(maxHubPartLength) allowed"
        }
        guard isWordScalar(first) else { return "must start with a letter, digit or '_', not '\(first)'" }
        guard isWordScalar(last) else { return "must end with a letter, digit or '_', not '\(last)'" }
        return nil
    }

    private static func isLetterOrDigit(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: return true  // A-Z a-z 0-9
        default: return false
        }
    }

    private static func isWordScalar(_ s: Unicode.Scalar) -> Bool { isLetterOrDigit(s) || s == "_" }

    private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        isLetterOrDigit(s) || s == "." || s == "_" || s == "-"
    }

    /// At least four upper-case hex digits, as in "U+002F".
    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
    }
}
