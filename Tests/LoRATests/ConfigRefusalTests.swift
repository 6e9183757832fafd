import Foundation
import LoRA
import Testing

/// Every config-level refusal, each from the python-qv-r8 fixture config with
/// one field changed; the message must name the field.
@Suite struct ConfigRefusalTests {
    func refused(_ changes: [String: Any], naming fragments: [String]) throws {
        let data = try LoRATestSupport.config(setting: changes)
        expectAdapterError(fragments) { _ = try LoRAConfig(json: data) }
    }

    @Test func fixtureConfigDecodesWithItsValues() throws {
        let config = try LoRAConfig(json: LoRATestSupport.configData("python-qv-r8"))
        #expect(config.r == 8)
        #expect(config.loraAlpha == 16)
        #expect(config.useRSLoRA == false)
        #expect(config.targetModules == .names(["v_proj", "q_proj"]))
        #expect(config.baseModelNameOrPath == "tiny-llama")
        #expect(config.peftVersion == "0.21.2")
    }

    @Test func useDoRAIsReadNotRefused() throws {
        #expect(try LoRAConfig(json: LoRATestSupport.config(setting: ["use_dora": true])).useDoRA)
        #expect(try LoRAConfig(json: LoRATestSupport.configData("python-qv-r8")).useDoRA == false)
        try refused(["use_dora": "yes"], naming: ["use_dora", "true or false"])
    }

    @Test func modulesToSaveIsRefused() throws {
        try refused(["modules_to_save": ["lm_head"]], naming: ["modules_to_save"])
    }

    @Test func emptyModulesToSaveIsAccepted() throws {
        let data = try LoRATestSupport.config(setting: ["modules_to_save": [String]()])
        #expect(throws: Never.self) { _ = try LoRAConfig(json: data) }
    }

    @Test func biasAllIsRefused() throws { try refused(["bias": "all"], naming: ["bias", "all"]) }
    @Test func biasLoraOnlyIsRefused() throws { try refused(["bias": "lora_only"], naming: ["bias", "lora_only"]) }
    @Test func loraBiasIsRefused() throws { try refused(["lora_bias": true], naming: ["lora_bias"]) }
    @Test func fanInFanOutIsRefused() throws { try refused(["fan_in_fan_out": true], naming: ["fan_in_fan_out"]) }

    @Test func targetParametersAreRefused() throws {
        try refused(["target_parameters": ["experts.gate_up_proj"]], naming: ["target_parameters"])
    }

    @Test func layerReplicationIsRefused() throws {
        try refused(["layer_replication": [[0, 2], [1, 3]]], naming: ["layer_replication"])
    }

    @Test func trainableTokenIndicesAreRefused() throws {
        try refused(["trainable_token_indices": [1, 2]], naming: ["trainable_token_indices"])
    }

    @Test func loraVariantsAreRefused() throws {
        try refused(["alora_invocation_tokens": [5, 6]], naming: ["alora_invocation_tokens"])
        try refused(["use_qalora": true], naming: ["use_qalora"])
    }

    @Test func lmHeadTargetIsRefused() throws {
        try refused(["target_modules": ["q_proj", "lm_head"]], naming: ["target_modules", "lm_head"])
    }

    @Test func embedTokensTargetIsRefused() throws {
        try refused(["target_modules": ["embed_tokens"]], naming: ["target_modules", "embed_tokens"])
    }

    @Test func regexSelectingTheHeadIsRefused() throws {
        try refused(["target_modules": ".*(q_proj|lm_head)"], naming: ["target_modules", "lm_head"])
    }

    @Test func allLinearDoesNotSelectTheHead() throws {
        let config = try LoRAConfig(json: LoRATestSupport.config(setting: ["target_modules": "all-linear"]))
        #expect(config.targetModules == .allLinear)
        #expect(!config.selects(module: "lm_head"))
    }

    @Test func otherPeftTypesAreRefused() throws {
        try refused(["peft_type": "ADALORA"], naming: ["peft_type", "ADALORA"])
        try refused(["peft_type": "IA3"], naming: ["IA3"])
    }

    @Test func missingPeftTypeIsRefused() throws {
        expectAdapterError(["peft_type"]) { _ = try LoRAConfig(json: Data(#"{"r": 8}"#.utf8)) }
    }

    @Test func invalidJSONIsRefused() throws {
        expectAdapterError(["not valid JSON"]) { _ = try LoRAConfig(json: Data(#"{"peft_type": "LORA", "r": 8"#.utf8)) }
        expectAdapterError(["not valid JSON", "object"]) { _ = try LoRAConfig(json: Data("[1, 2]".utf8)) }
        expectAdapterError(["not valid JSON"]) { _ = try LoRAConfig(json: Data()) }
    }

    @Test func badRegexesAreRefusedNamingTheField() throws {
        try refused(["target_modules": "model.(q_proj"], naming: ["target_modules", "model.(q_proj"])
        try refused(["exclude_modules": "[unclosed"], naming: ["exclude_modules", "[unclosed"])
        expectAdapterError(["rank_pattern", "q_proj("]) {
            _ = try LoRAConfig(json: LoRATestSupport.configJSON(#""rank_pattern": {"q_proj(": 4}"#))
        }
        expectAdapterError(["alpha_pattern", "*v"]) {
            _ = try LoRAConfig(json: LoRATestSupport.configJSON(#""alpha_pattern": {"*v": 4}"#))
        }
    }

    @Test func wrongFieldTypesAreRefusedNamingTheField() throws {
        try refused(["r": "eight"], naming: ["'r'", "eight"])
        try refused(["r": 0], naming: ["'r'"])
        try refused(["r": 2.5], naming: ["'r'"])
        // 2^62 is an integer, just far out of range: the message says so.
        try refused(["r": 4_611_686_018_427_387_904 as Int], naming: ["'r'", "1...65536"])
        try refused(["rank_pattern": ["q_proj": 1 << 40]], naming: ["rank_pattern", "1...65536"])
        try refused(["lora_alpha": "x"], naming: ["lora_alpha"])
        try refused(["use_rslora": "yes"], naming: ["use_rslora"])
        try refused(["target_modules": 7], naming: ["target_modules"])
        try refused(["target_modules": ["q_proj", 3]], naming: ["target_modules"])
        try refused(["rank_pattern": ["q_proj": 0]], naming: ["rank_pattern", "q_proj"])
        try refused(["layers_to_transform": ["a"]], naming: ["layers_to_transform"])
    }

    /// Elements of lists and members of pattern objects are named by their
    /// path, pattern keys in brackets since module paths contain dots.
    @Test func nestedValuesAreNamedByTheirPath() throws {
        try refused(["target_modules": ["q_proj", 3]], naming: ["target_modules[1]", "a string"])
        try refused(["layers_to_transform": [0, -1]], naming: ["layers_to_transform[1]", "0...999999999"])
        try refused(["layers_pattern": ["layers", false]], naming: ["layers_pattern[1]"])
        try refused(["rank_pattern": ["model.layers.0.self_attn.q_proj": 0]],
                    naming: [#"rank_pattern["model.layers.0.self_attn.q_proj"]"#, "1...65536"])
        try refused(["alpha_pattern": ["v_proj": "big"]], naming: [#"alpha_pattern["v_proj"]"#, "finite number"])
        try refused(["rank_pattern": [1, 2]], naming: ["rank_pattern", "an object"])
    }

    @Test func layersToTransformWithAStringTargetIsRefusedAsPeftDoes() throws {
        // LoraConfig.__post_init__: "`layers_to_transform` cannot be used when `target_modules` is a str."
        try refused(["target_modules": ".*q_proj", "layers_to_transform": [0]], naming: ["layers_to_transform"])
        try refused(["target_modules": "all-linear", "layers_to_transform": 1], naming: ["layers_to_transform"])
        // "When `layers_pattern` is specified, `layers_to_transform` must also be specified."
        try refused(["layers_pattern": "layers"], naming: ["layers_pattern"])
    }

    @Test func unknownAndIgnoredFieldsAreAccepted() throws {
        let data = try LoRATestSupport.config(setting: [
            "some_future_field": ["nested": true], "lora_dropout": 0.1, "inference_mode": false,
            "use_dora": false, "bias": "none", "modules_to_save": NSNull(),
        ])
        let config = try LoRAConfig(json: data)
        #expect(config.r == 8)
    }

    @Test func pythonStyleNaNInAnIgnoredFieldIsTolerated() throws {
        // json.dump writes NaN for float('nan'); a field we ignore must not break decoding.
        let config = try LoRAConfig(json: LoRATestSupport.configJSON(#""r": 4, "lora_dropout": NaN"#))
        #expect(config.r == 4)
    }

    @Test func missingFieldsTakePeftDefaults() throws {
        // LoraConfig defaults: r=8, lora_alpha=8; target_modules None → llama's ["q_proj", "v_proj"].
        let config = try LoRAConfig(json: LoRATestSupport.configJSON(#""task_type": "CAUSAL_LM""#))
        #expect(config.r == 8)
        #expect(config.loraAlpha == 8)
        #expect(config.targetModules == .names(["q_proj", "v_proj"]))
    }
}
