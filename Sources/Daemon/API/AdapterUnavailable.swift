/// An adapter that must not be served: it failed validation against the
/// loaded base. Either a registered one (its row stays, refused until
/// replaced or deleted) or a folder in `adapter_dirs` / the hub cache that
/// was never stored (read again once its files change).
public struct AdapterUnavailable: Error, CustomStringConvertible {
    public let name: String
    public let reason: String
    /// The folder it was read from, when it is not in the registry.
    public var folder: String? = nil

    public var description: String {
        guard let folder else { return "adapter '\(name)' is stored but incompatible with the loaded base model: \(reason)" }
        return "adapter '\(name)' (folder \(folder), not stored) fails validation against the loaded base model: \(reason)"
    }
}
