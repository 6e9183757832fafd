/// The result of loading and validating an adapter: the values the forward
/// pass uses, the metadata the registry stores, and the decoded config.
public struct LoadedAdapter: Sendable {
    public let adapter: LoRAAdapter
    public let info: AdapterInfo
    public let config: LoRAConfig
    /// DoRA modules whose factor came from the stored table handed to the
    /// loader instead of being computed.
    public let factorsReused: Int
}
