/// A chat-template input that does not have the expected shape.
public struct TemplateInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let member: String
    public let expected: String

    public var description: String { "'\(member)' must be \(expected)" }
}
