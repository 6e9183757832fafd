/// Which modules a config selects, and each module's rank, alpha and scale —
/// the rules PEFT applies when it builds the LoRA layers (see `PatternMatcher`
/// for the exact rules and their PEFT sources).
extension LoRAConfig {
    /// Whether PEFT would put a LoRA layer on the module with this full name
    /// (e.g. `model.layers.0.self_attn.q_proj`): `check_target_module_exists`.
    public func selects(module name: String) -> Bool { PatternMatcher(self).selects(module: name) }

    /// The rank PEFT gives this module (`rank_pattern`, else `r`).
    public func rank(forModule name: String) -> Int { PatternMatcher(self).rank(forModule: name) }

    /// The lora_alpha PEFT gives this module (`alpha_pattern`, else `lora_alpha`).
    public func alpha(forModule name: String) -> Double { PatternMatcher(self).alpha(forModule: name) }

    /// alpha/r, or alpha/√r with rsLoRA, with this module's own r and alpha
    /// (`LoraLayer.update_layer`, peft/tuners/lora/layer.py). Computed in double
    /// like Python, then rounded once to F32 as torch does when it multiplies.
    public func scale(forModule name: String) -> Float {
        let m = PatternMatcher(self)
        return Self.scale(rank: m.rank(forModule: name), alpha: m.alpha(forModule: name), rsLoRA: useRSLoRA)
    }

    static func scale(rank: Int, alpha: Double, rsLoRA: Bool) -> Float {
        let r = Double(rank)
        return Float(rsLoRA ? alpha / r.squareRoot() : alpha / r)
    }

    /// The base linears this config selects, in (layer, kind) order.
    public func selectedLinears<S: Sequence>(among linears: S) -> [LinearID] where S.Element == LinearID {
        let m = PatternMatcher(self)
        return linears.filter { m.selects(module: $0.modulePath) }.sorted()
    }
}
