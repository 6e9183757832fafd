/// A chat-template input that does not have the expected shape.
public struct TemplateInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let member: String
    public let expected: String

    public init(member: String, expected: String) {
        self.member = member
        self.expected = expected
    }

    public var description: String { "'\(member)' must be \(expected)" }
}
