import Foundation
import LoRA
import Testing

/// The order-preserving JSON reader under `LoRAConfig`, through the public API.
@Suite struct ConfigJSONTests {
    @Test func escapedKeysAndValuesDecode() throws {
        // "q\u005fproj" is "q_proj"; the surrogate pair is one scalar (U+1F600).
        let c = try LoRAConfig(json: LoRATestSupport.configJSON(
            #""target_modules": ["q\u005fproj"], "rank_pattern": {"q\u005fproj": 4}, "base_model_name_or_path": "m\ud83d\ude00\n""#))
        #expect(c.targetModules == .names(["q_proj"]))
        #expect(c.rank(forModule: "model.layers.0.self_attn.q_proj") == 4)
        #expect(c.baseModelNameOrPath == "m\u{1F600}\n")
    }

    @Test func malformedDocumentsAreRefused() {
        for text in [#"{"peft_type": "LORA",}"#, #"{"peft_type": "LORA"} x"#, #"{"peft_type": 'LORA'}"#,
                     "{\"peft_type\": \"LO\u{01}RA\"}", #"{"r": 01, "peft_type": "LORA"}"#] {
            expectAdapterError(["not valid JSON"]) { _ = try LoRAConfig(json: Data(text.utf8)) }
        }
    }

    @Test func hostileNestingIsRefusedNotOverflowed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectAdapterError(["not valid JSON", "nesting"]) {
            _ = try LoRAConfig(json: Data(#"{"peft_type": "LORA", "x": \#(deep)}"#.utf8))
        }
    }

    @Test func aByteOrderMarkIsTolerated() throws {
        let data = Data([0xEF, 0xBB, 0xBF]) + LoRATestSupport.configJSON(#""r": 2"#)
        #expect(try LoRAConfig(json: data).r == 2)
    }

    @Test func targetModuleNamesAreReportedAsWritten() throws {
        let regex = try LoRAConfig(json: LoRATestSupport.configJSON(#""target_modules": ".*\\.(q|v)_proj""#))
        #expect(regex.targetModules == .regex(#".*\.(q|v)_proj"#))
        let info = try LoRATestSupport.load("upper-all-r4").info
        #expect(info.targetModuleNames == ["gate_proj", "v_proj", "o_proj", "k_proj", "up_proj", "down_proj", "q_proj"])
        #expect(info.adaptedKinds == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    }
}
