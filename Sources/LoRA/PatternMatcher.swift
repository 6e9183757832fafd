/// A config's regexes compiled once for a run of matches (see `LoRAConfig.PatternSources`
/// for why they are not stored compiled). Not Sendable: build one where you match.
struct PatternMatcher {
    let config: LoRAConfig
    let target: Regex<AnyRegexOutput>?
    let exclude: Regex<AnyRegexOutput>?
    let rankKeys: [Regex<AnyRegexOutput>]
    let alphaKeys: [Regex<AnyRegexOutput>]
    let layerIndexRegexes: [Regex<AnyRegexOutput>]

    /// Every source was compiled successfully when the config was decoded, so `try?` cannot
    /// drop one here; if it somehow did, the pattern would match nothing (never crash).
    init(_ config: LoRAConfig) {
        self.config = config
        let p = config.patterns
        target = p.target.flatMap { try? Regex($0) }
        exclude = p.exclude.flatMap { try? Regex($0) }
        rankKeys = p.rankKeys.map { (try? Regex($0)) ?? Self.never }
        alphaKeys = p.alphaKeys.map { (try? Regex($0)) ?? Self.never }
        layerIndexRegexes = p.layerIndex.compactMap { try? Regex($0) }
    }

    /// A regex that matches no string (an empty negative lookahead).
    private static var never: Regex<AnyRegexOutput> { Regex(/(?!)/) }

    /// Whether PEFT would put a LoRA layer on the module with this full name
    /// (e.g. `model.layers.0.self_attn.q_proj`).
    ///
    /// Mirrors `peft.tuners.tuners_utils.check_target_module_exists`:
    /// 1. `exclude_modules` first: a string is `re.fullmatch`ed; a list entry
    ///    matches the exact name or a `.`-suffix of it.
    /// 2. `target_modules` as a string: `re.fullmatch` against the full name.
    /// 3. As a list: an exact full-name entry selects the module outright
    ///    (layers_to_transform is not consulted); otherwise an entry must equal
    ///    a `.`-suffix (`q_proj` matches `…self_attn.q_proj`, not `…xq_proj`),
    ///    and then, if `layers_to_transform` is non-empty, the module's layer
    ///    index — the number after the first `<segment>.` (lazy `.*?\.[^.]*\.(\d+)\.`)
    ///    or after a `layers_pattern` segment — must be listed.
    /// `"all-linear"` is PEFT's expansion to every `nn.Linear` except the output
    /// embedding (`_maybe_include_all_linear_layers`): for Llama, the seven
    /// projections of every layer.
    func selects(module name: String) -> Bool {
        switch config.excludeModules {
        case .regex?:
            if let regex = exclude, name.wholeMatch(of: regex) != nil { return false }
        case .names(let names)?:
            if names.contains(where: { name == $0 || name.hasSuffix("." + $0) }) { return false }
        case nil:
            break
        }

        switch config.targetModules {
        case .allLinear:
            return LinearID(modulePath: name) != nil
        case .regex:
            guard let regex = target else { return false }
            return name.wholeMatch(of: regex) != nil
        case .names(let names):
            if names.contains(name) { return true }
            guard names.contains(where: { name.hasSuffix("." + $0) }) else { return false }
            guard let layers = config.layersToTransform, !layers.isEmpty else { return true }
            guard let index = layerIndex(of: name) else { return false }
            return layers.contains(index)
        }
    }

    /// The layer index PEFT reads from a module name for `layers_to_transform`:
    /// the first extractor (one per `layers_pattern` entry, in order) that matches wins.
    func layerIndex(of name: String) -> Int? {
        for regex in layerIndexRegexes {
            if let match = name.prefixMatch(of: regex) {
                guard match.output.count > 1, let digits = match.output[1].substring else { return nil }
                return Int(digits)
            }
        }
        return nil
    }

    /// The rank of a module: the value of the first `rank_pattern` key k (in
    /// file order) for which the name matches `(.*\.)?(k)$` from its start,
    /// else `r` (`peft.utils.other.get_pattern_key`, `LoraModel._create_and_replace`).
    /// So `"q_proj": 4` applies to every q_proj, `"layers.1.self_attn.q_proj": 2`
    /// only to layer 1's, and a key may be a regex (`"layers\\.[0-1]\\..*"`).
    func rank(forModule name: String) -> Int {
        for (i, regex) in rankKeys.enumerated() where name.wholeMatch(of: regex) != nil {
            return config.rankPattern[i].value
        }
        return config.r
    }

    /// The lora_alpha of a module: `alpha_pattern` resolved like `rank(forModule:)`, else `lora_alpha`.
    func alpha(forModule name: String) -> Double {
        for (i, regex) in alphaKeys.enumerated() where name.wholeMatch(of: regex) != nil {
            return config.alphaPattern[i].value
        }
        return config.loraAlpha
    }
}
