/// The rule for an adapter's name, the one check the registry (uploads,
/// `/adapters/NAME`) and the serving engine (`?adapter=`, `"model"`, adapter
/// specs) share: 1–64 characters from `A-Z a-z 0-9 . _ -`, the first a
/// letter or digit.
///
/// Why: names become URL path segments (`/adapters/NAME`) and file names
/// (`lorad merge`, `NAME-merged.safetensors`), where `.` and `..` mean "here"
/// and "parent", a leading `.` hides a file and a leading `-` reads as a
/// command-line option; the `:` and `,` of a spec (`a:0.7,b:0.3`) can never
/// be part of one.
public struct AdapterName: Sendable, Hashable, CustomStringConvertible {
    /// Longest name, in characters (all of them ASCII).
    public static let maxLength = 64

    public let text: String

    /// `text` as a name, or the rule it breaks.
    public init(_ text: String) throws(AdapterNameError) {
        if let rule = Self.brokenRule(text) { throw AdapterNameError(name: text, rule: rule) }
        self.text = text
    }

    public var description: String { text }

    /// The first rule `text` breaks, said so that the client can fix it; nil
    /// for a valid name.
    public static func brokenRule(_ text: String) -> String? {
        let scalars = text.unicodeScalars
        guard let first = scalars.first else { return "a name must not be empty" }
        if let bad = scalars.first(where: { !isNameScalar($0) }) {
            let shown = bad.properties.generalCategory == .control || bad == " " ? "" : " '\(bad)'"
            return "character\(shown) U+\(hex(bad.value)) is not allowed; use only A-Z a-z 0-9 . _ -"
        }
        guard scalars.count <= maxLength else {
            return "\(scalars.count) characters, at most \(maxLength) allowed"
        }
        guard isLetterOrDigit(first) else {
            return "a name must start with a letter or digit (A-Z a-z 0-9), not '\(first)'"
        }
        return nil
    }

    private static func isLetterOrDigit(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: return true  // A-Z a-z 0-9
        default: return false
        }
    }

    private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        isLetterOrDigit(s) || s == "." || s == "_" || s == "-"
    }

    /// At least four upper-case hex digits, as in "U+002F".
    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
    }
}
