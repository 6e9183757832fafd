/// A registered adapter that must not be served (it failed start-up validation).
public struct AdapterUnavailable: Error, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String {
        "adapter '\(name)' is stored but incompatible with the loaded base model: \(reason)"
    }
}
