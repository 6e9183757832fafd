/// What the registry and the API report about a validated adapter.
public struct AdapterInfo: Sendable, Equatable {
    /// One adapted linear with the rank, alpha and scale PEFT would use for it.
    public struct Module: Sendable, Equatable {
        public let id: LinearID
        public let rank: Int
        public let alpha: Double
        public let scale: Float
    }

    /// Every adapted linear, in (layer, kind) order.
    public let modules: [Module]
    /// Global `r` and `lora_alpha` from the config (per-module values may differ via patterns).
    public let r: Int
    public let loraAlpha: Double
    public let useRSLoRA: Bool
    /// `use_dora`: every module also has a magnitude vector (`DoRAFactors`).
    public let useDoRA: Bool
    /// `target_modules` as written: the names, the regex, or `all-linear`.
    public let targetModules: LoRAConfig.TargetModules
    /// The distinct projection names actually adapted (e.g. `["q_proj", "v_proj"]`), in layer order.
    public let adaptedKinds: [String]
    /// Number of LoRA parameters (Σ r·(in + out), plus Σ out magnitudes for DoRA).
    public let parameterCount: Int
    /// Bytes of the resident F32 copy (the adapter cache's budget unit).
    public let parameterBytes: Int
    public let baseModelNameOrPath: String?
    public let peftVersion: String?

    /// `target_modules` for display: the names, or the one regex, or `all-linear`.
    public var targetModuleNames: [String] {
        switch targetModules {
        case .names(let names): return names
        case .regex(let pattern): return [pattern]
        case .allLinear: return ["all-linear"]
        }
    }

    /// The distinct ranks used, ascending (one element unless `rank_pattern` is set).
    public var ranks: [Int] { Array(Set(modules.map(\.rank))).sorted() }
    /// The distinct scales used, ascending.
    public var scales: [Float] { Array(Set(modules.map(\.scale))).sorted() }
}
