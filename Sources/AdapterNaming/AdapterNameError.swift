/// A name that breaks `AdapterName`'s rule, and which part of it.
public struct AdapterNameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The refused name, as given.
    public let name: String
    /// The rule it breaks ("a name must start with a letter or digit …").
    public let rule: String

    public var description: String { "'\(name)' is not a valid adapter name: \(rule)" }
}
