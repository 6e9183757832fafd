/// What `AdapterLoader.validate` learns of an adapter that passes every
/// check `load` makes: what the registry stores about it, without the
/// F32 values the forward pass would use.
public struct ValidatedAdapter: Sendable {
    public let info: AdapterInfo
    public let config: LoRAConfig
    /// The DoRA modules' factors g against the base it was validated on
    /// (empty for plain LoRA).
    public let doraFactors: DoRAFactorTable
}
