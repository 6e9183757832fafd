/// Metadata for an adapter about to be stored. The caller (the daemon, after
/// validating the PEFT config against the base model with the LoRA module)
/// fills the derived fields; the registry stores them as given so listing
/// adapters never has to re-parse configs.
public struct NewAdapter: Sendable, Equatable {
    /// Unique name (`AdapterName`: 1–64 of `A-Z a-z 0-9 . _ -`, the first a letter or digit).
    public var name: String
    /// The original `adapter_config.json` text, stored verbatim.
    public var configJSON: String
    /// LoRA rank(s): `r`, plus distinct `rank_pattern` values if any.
    public var ranks: [Int]
    /// `lora_alpha`.
    public var alpha: Double?
    /// The effective scale s = alpha/r (or alpha/√r with rsLoRA).
    public var scale: Double?
    /// Resolved target module names (e.g. ["q_proj", "v_proj"]).
    public var targetModules: [String]
    /// Whether it is a DoRA adapter (PEFT `use_dora`).
    public var dora: Bool
    /// The adapter's own Jinja chat template (validated by the caller), or nil.
    public var chatTemplate: String?
    /// The base model the adapter was validated against.
    public var baseModelId: String?
    /// A DoRA adapter's factors against the base it was validated on,
    /// stored in the same transaction as the adapter, or nil.
    public var doraFactors: StoredDoRAFactors?
    /// If set (64 hex digits), the upload is refused unless the weights hash to it.
    public var expectedSHA256: String?

    /// Memberwise; derived fields default to empty / unknown.
    public init(name: String, configJSON: String, ranks: [Int] = [], alpha: Double? = nil,
                scale: Double? = nil, targetModules: [String] = [], dora: Bool = false, baseModelId: String? = nil,
                expectedSHA256: String? = nil) {
        self.name = name
        self.configJSON = configJSON
        self.ranks = ranks
        self.alpha = alpha
        self.scale = scale
        self.targetModules = targetModules
        self.dora = dora
        chatTemplate = nil
        doraFactors = nil
        self.baseModelId = baseModelId
        self.expectedSHA256 = expectedSHA256
    }
}
