import Foundation
import LoRA
import Testing

/// Which modules a config selects and with which rank/alpha, worked out by
/// hand from PEFT 0.21's rules:
/// - `tuners_utils.check_target_module_exists`: exclude_modules first (string →
///   re.fullmatch, list → exact or "." + suffix); target_modules string →
///   re.fullmatch; list → exact name, or "." + suffix then layers_to_transform.
/// - `utils.other.get_pattern_key`: the first rank/alpha_pattern key k (dict
///   order) with re.match(rf"(.*\.)?({k})$", name); else r / lora_alpha.
@Suite struct PatternMatchingTests {
    static let allLinears = Array(LoRATestSupport.tinyLlamaShapes.keys)

    func config(_ fields: String) throws -> LoRAConfig {
        try LoRAConfig(json: LoRATestSupport.configJSON(fields))
    }

    func q(_ layer: Int) -> String { LinearID(layer: layer, kind: .q).modulePath }
    func v(_ layer: Int) -> String { LinearID(layer: layer, kind: .v).modulePath }

    @Test func listTargetsMatchWholeDottedSuffixesOnly() throws {
        let c = try config(#""target_modules": ["q_proj"]"#)
        #expect(c.selects(module: "model.layers.0.self_attn.q_proj"))
        #expect(!c.selects(module: "model.layers.0.self_attn.xq_proj"))
        #expect(!c.selects(module: "model.layers.0.self_attn.k_proj"))
        #expect(c.selects(module: "q_proj"))  // `key in target_modules`
        #expect(c.selectedLinears(among: Self.allLinears).count == 4)
    }

    @Test func listTargetsMaySpellAPathSuffix() throws {
        let c = try config(#""target_modules": ["self_attn.q_proj", "layers.2.mlp.up_proj"]"#)
        #expect(c.selects(module: q(3)))
        #expect(c.selects(module: "model.layers.2.mlp.up_proj"))
        #expect(!c.selects(module: "model.layers.12.mlp.up_proj"))  // needs ".layers.2..." after a dot
    }

    @Test func regexTargetMustMatchTheWholeName() throws {
        let c = try config(#""target_modules": "model\\.layers\\.[01]\\.self_attn\\.(q|v)_proj""#)
        let selected = c.selectedLinears(among: Self.allLinears)
        #expect(selected == [LinearID(layer: 0, kind: .q), LinearID(layer: 0, kind: .v),
                             LinearID(layer: 1, kind: .q), LinearID(layer: 1, kind: .v)])
        // re.fullmatch: a bare name as a *string* target matches no full module path.
        let bare = try config(#""target_modules": "q_proj""#)
        #expect(bare.selectedLinears(among: Self.allLinears).isEmpty)
        let loose = try config(#""target_modules": ".*q_proj""#)
        #expect(loose.selects(module: "model.layers.0.self_attn.xq_proj"))
    }

    @Test func allLinearSelectsEveryProjectionAndIsCaseInsensitive() throws {
        let c = try config(#""target_modules": "ALL-LINEAR""#)
        #expect(c.targetModules == .allLinear)
        #expect(c.selectedLinears(among: Self.allLinears).count == 28)
        #expect(!c.selects(module: "model.norm"))
    }

    @Test func rankPatternTakesTheFirstMatchingKeyInFileOrder() throws {
        // "q_proj" comes first, so it also wins for layer 1's q_proj.
        let first = try config(#""r": 8, "target_modules": ["q_proj", "v_proj"], "rank_pattern": {"q_proj": 4, "layers.1.self_attn.q_proj": 2}"#)
        #expect(first.rank(forModule: q(0)) == 4)
        #expect(first.rank(forModule: q(1)) == 4)
        #expect(first.rank(forModule: v(1)) == 8)
        // Reversed: the layer-specific key is tried first.
        let specific = try config(#""r": 8, "target_modules": ["q_proj", "v_proj"], "rank_pattern": {"layers.1.self_attn.q_proj": 2, "q_proj": 4}"#)
        #expect(specific.rank(forModule: q(1)) == 2)
        #expect(specific.rank(forModule: q(0)) == 4)
        #expect(specific.rank(forModule: q(2)) == 4)
        #expect(specific.rank(forModule: v(2)) == 8)
    }

    @Test func rankPatternKeysAreRegexesAnchoredAtADot() throws {
        let c = try config(#""r": 8, "rank_pattern": {"layers\\.[23]\\..*": 16, "proj": 1, "model.layers.0.self_attn.v_proj": 3}"#)
        #expect(c.rank(forModule: q(2)) == 16)
        #expect(c.rank(forModule: "model.layers.3.mlp.down_proj") == 16)
        // "proj" must follow a dot (or start the name): it does not match "q_proj".
        #expect(c.rank(forModule: q(0)) == 8)
        #expect(c.rank(forModule: v(0)) == 3)
        #expect(c.rank(forModule: v(1)) == 8)
    }

    @Test func alphaPatternAndRsLoRAGiveThePerModuleScale() throws {
        let c = try config(#""r": 16, "lora_alpha": 16, "use_rslora": true, "rank_pattern": {"v_proj": 4}, "alpha_pattern": {"layers.0.self_attn.q_proj": 64}"#)
        #expect(c.alpha(forModule: q(0)) == 64)
        #expect(c.alpha(forModule: q(1)) == 16)
        #expect(c.scale(forModule: q(0)) == 16)  // 64 / √16
        #expect(c.scale(forModule: q(1)) == 4)   // 16 / √16
        #expect(c.scale(forModule: v(1)) == 8)   // 16 / √4
        let plain = try config(#""r": 16, "lora_alpha": 16, "rank_pattern": {"v_proj": 4}"#)
        #expect(plain.scale(forModule: v(1)) == 4)  // 16 / 4
        #expect(plain.scale(forModule: q(1)) == 1)  // 16 / 16
    }

    @Test func layersToTransformFiltersSuffixMatchesByLayerIndex() throws {
        let one = try config(#""target_modules": ["q_proj", "v_proj"], "layers_to_transform": 1"#)
        #expect(one.selectedLinears(among: Self.allLinears) == [LinearID(layer: 1, kind: .q), LinearID(layer: 1, kind: .v)])
        let list = try config(#""target_modules": ["q_proj"], "layers_to_transform": [0, 2]"#)
        #expect(list.selectedLinears(among: Self.allLinears).map(\.layer) == [0, 2])
        let named = try config(#""target_modules": ["q_proj"], "layers_to_transform": [3], "layers_pattern": "layers""#)
        #expect(named.selectedLinears(among: Self.allLinears).map(\.layer) == [3])
        // A layers_pattern that names no segment of the path finds no index: nothing is selected.
        let wrong = try config(#""target_modules": ["q_proj"], "layers_to_transform": [0], "layers_pattern": ["h", "blocks"]"#)
        #expect(wrong.selectedLinears(among: Self.allLinears).isEmpty)
        // An empty list means "every layer".
        let empty = try config(#""target_modules": ["q_proj"], "layers_to_transform": []"#)
        #expect(empty.selectedLinears(among: Self.allLinears).count == 4)
    }

    @Test func anExactFullNameTargetBypassesLayersToTransform() throws {
        let c = try config(#""target_modules": ["model.layers.3.self_attn.q_proj", "v_proj"], "layers_to_transform": [0]"#)
        #expect(c.selectedLinears(among: Self.allLinears) == [LinearID(layer: 0, kind: .v), LinearID(layer: 3, kind: .q)])
    }

    @Test func excludeModulesWinsOverTargets() throws {
        let list = try config(#""target_modules": ["q_proj"], "exclude_modules": ["model.layers.0.self_attn.q_proj"]"#)
        #expect(list.selectedLinears(among: Self.allLinears).map(\.layer) == [1, 2, 3])
        let suffix = try config(#""target_modules": "all-linear", "exclude_modules": ["v_proj", "mlp.down_proj"]"#)
        #expect(suffix.selectedLinears(among: Self.allLinears).count == 20)
        #expect(!suffix.selects(module: v(2)))
        let regex = try config(#""target_modules": "all-linear", "exclude_modules": ".*\\.mlp\\..*""#)
        #expect(Set(regex.selectedLinears(among: Self.allLinears).map(\.kind)) == [.q, .k, .v, .o])
        // exclude is a fullmatch too: "mlp" alone excludes nothing.
        let bare = try config(#""target_modules": "all-linear", "exclude_modules": "mlp""#)
        #expect(bare.selectedLinears(among: Self.allLinears).count == 28)
    }

    @Test func modulePathsRoundTripThroughLinearID() {
        for id in Self.allLinears { #expect(LinearID(modulePath: id.modulePath) == id) }
        #expect(LinearID(modulePath: "model.layers.0.mlp.q_proj") == nil)
        #expect(LinearID(modulePath: "model.layers.01.self_attn.q_proj") == nil)
        #expect(LinearID(modulePath: "lm_head") == nil)
    }
}
