/// A registered adapter that must not be served (it failed validation against the loaded base).
public struct AdapterUnavailable: Error, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String {
        "adapter '\(name)' is stored but incompatible with the loaded base model: \(reason)"
    }
}
