/// A JSON document parsed but a field does not have the type or range its
/// reader needs. `path` names the field from the document root.
public struct JSONAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the field (`rope_parameters.rope_theta`, `messages[2].role`).
    public let path: String
    /// What the reader needed, e.g. "an integer in 1...20" or "present".
    public let expected: String
    /// A short rendering of what the document held ("nothing" when absent).
    public let found: String

    public init(path: String, expected: String, found: String) {
        self.path = path
        self.expected = expected
        self.found = found
    }

    public var description: String {
        // The root has the empty path.
        let subject = path.isEmpty ? "the top-level JSON value" : "`\(path)`"
        return expected == "present" ? "\(subject) is required" : "\(subject) must be \(expected), got \(found)"
    }
}
