import Foundation
import LoRA
import SafeTensors
import Testing
import TestSupport

/// Every weights-level refusal, each from a fixture adapter with one thing
/// broken; the message must name the tensor (and module or field) at fault.
@Suite struct AdapterRefusalTests {
    typealias T = LoRATestSupport.Tensor
    let config: Data
    let tensors: [T]

    init() throws {
        config = try LoRATestSupport.configData("python-qv-r8")
        tensors = try LoRATestSupport.tensors("python-qv-r8")
    }

    func refused(_ tensors: [T], config: Data? = nil, naming fragments: [String]) {
        expectAdapterError(fragments) { _ = try LoRATestSupport.load(config: config ?? self.config, tensors: tensors) }
    }

    func replacing(_ name: String, _ change: (inout T) -> Void) -> [T] {
        tensors.map { t in var t = t; if t.name == name { change(&t) }; return t }
    }

    @Test func missingBIsRefused() {
        let b = LoRATestSupport.key(1, .q, "lora_B")
        refused(tensors.filter { $0.name != b }, naming: [LoRATestSupport.key(1, .q, "lora_A"), b])
    }

    @Test func missingAIsRefused() {
        let a = LoRATestSupport.key(2, .v, "lora_A")
        refused(tensors.filter { $0.name != a }, naming: [LoRATestSupport.key(2, .v, "lora_B"), a])
    }

    @Test func wrongInputWidthIsRefused() {
        let a = LoRATestSupport.key(0, .v, "lora_A")
        refused(replacing(a) { $0.shape = [8, 64]; $0.values = Array($0.values.prefix(512)) },
                naming: [a, "[8, 64]", "[8, 128]", "(64, 128)"])
    }

    @Test func wrongOutputHeightIsRefused() {
        let b = LoRATestSupport.key(0, .v, "lora_B")  // v is (64, 128): B must be (64, 8)
        refused(replacing(b) { $0.shape = [128, 8]; $0.values += $0.values }, naming: [b, "[128, 8]", "[64, 8]"])
    }

    @Test func oneDimensionalTensorIsRefused() {
        let a = LoRATestSupport.key(0, .q, "lora_A")
        refused(replacing(a) { $0.shape = [1024] }, naming: [a, "[1024]"])
    }

    @Test func rankMismatchWithTheConfigIsRefused() throws {
        // The file is r = 8; a config saying r = 4 must be refused, naming both ranks.
        let wrongR = try LoRATestSupport.config(setting: ["r": 4])
        refused(tensors, config: wrongR, naming: [LoRATestSupport.key(0, .q, "lora_A"), "rank 8", "rank 4"])
        // Same through rank_pattern: layer 1's v_proj configured with rank 2.
        let pattern = try LoRATestSupport.config(setting: ["rank_pattern": ["layers.1.self_attn.v_proj": 2]])
        refused(tensors, config: pattern, naming: [LoRATestSupport.key(1, .v, "lora_A"), "rank 2"])
    }

    @Test func rankDisagreementBetweenAAndBIsRefused() {
        let b = LoRATestSupport.key(3, .q, "lora_B")
        refused(replacing(b) { $0.shape = [64, 16] }, naming: [b])
    }

    @Test func unknownModuleIsRefusedAsAPossibleWrongBase() {
        var extra = tensors
        extra.append(T(name: LoRATestSupport.key(7, .q, "lora_A"), dtype: .f32, shape: [8, 128], values: .init(repeating: 0, count: 1024)))
        extra.append(T(name: LoRATestSupport.key(7, .q, "lora_B"), dtype: .f32, shape: [128, 8], values: .init(repeating: 0, count: 1024)))
        refused(extra, naming: ["model.layers.7.self_attn.q_proj", "wrong base model"])
        var odd = tensors
        odd.append(T(name: "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", dtype: .f32, shape: [8, 128],
                     values: .init(repeating: 0, count: 1024)))
        refused(odd, naming: ["transformer.h.0.attn.c_attn", "wrong base model"])
    }

    @Test func moduleTheConfigDoesNotTargetIsRefused() {
        var extra = tensors
        extra.append(T(name: LoRATestSupport.key(0, .k, "lora_A"), dtype: .f32, shape: [8, 128], values: .init(repeating: 0, count: 1024)))
        extra.append(T(name: LoRATestSupport.key(0, .k, "lora_B"), dtype: .f32, shape: [64, 8], values: .init(repeating: 0, count: 512)))
        refused(extra, naming: [LoRATestSupport.key(0, .k, "lora_A"), "target_modules"])
    }

    @Test func nanAndInfinityAreRefusedNamingTheTensor() {
        let a = LoRATestSupport.key(2, .q, "lora_A")
        refused(replacing(a) { $0.values[77] = .nan }, naming: [a, "nan", "77"])
        let b = LoRATestSupport.key(1, .v, "lora_B")
        refused(replacing(b) { $0.values[3] = -.infinity }, naming: [b, "-inf"])
    }

    @Test func hugeFiniteValuesAreRefusedNamingTheTensor() {
        // ±3e38 is finite in F32 but overflows s·B·A: refused before it is stored.
        let a = LoRATestSupport.key(2, .q, "lora_A")
        refused(replacing(a) { $0.values[5] = 3e38 }, naming: [a, "element 5"])
        let b = LoRATestSupport.key(0, .v, "lora_B")
        refused(replacing(b) { $0.values[0] = -3e38 }, naming: [b, "65504"])
        // The F16 range itself is accepted.
        #expect(throws: Never.self) {
            _ = try LoRATestSupport.load(config: config, tensors: replacing(a) { $0.values[5] = 65504 })
        }
    }

    @Test func aScaleThatOverflowsIsRefusedNamingTheModule() throws {
        let huge = try LoRATestSupport.config(setting: ["lora_alpha": 1e308])
        refused(tensors, config: huge, naming: ["lora_alpha", "scale", "model.layers.0.self_attn.q_proj"])
        let tooLarge = try LoRATestSupport.config(setting: ["lora_alpha": 8 * (LoRAConfig.maxScale + 1)])
        refused(tensors, config: tooLarge, naming: ["scale"])
        let pattern = try LoRATestSupport.config(setting: ["alpha_pattern": ["v_proj": 1e300]])
        refused(tensors, config: pattern, naming: ["v_proj", "scale"])
        let rs = try LoRATestSupport.config(setting: ["use_rslora": true, "lora_alpha": -1e306])
        refused(tensors, config: rs, naming: ["scale"])
    }

    @Test func aHeaderBeyondWhatTheBaseCanNeedIsRefusedAsIncompatible() throws {
        // 3 tensors per linear of the base is the most an adapter can hold.
        let base = LoRATestSupport.tinyLlamaShapes
        let n = 3 * base.count + 1
        let header = "{" + (0..<n).map { #""t\#($0)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"# }.joined(separator: ",") + "}"
        let h = Array(header.utf8)
        var data = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) })
        data.append(contentsOf: h)
        let error = expectAdapterError(["maybe the wrong base model"]) {
            _ = try AdapterLoader.load(name: "x", configJSON: config, safetensors: data, base: base)
        }
        guard case .oversizedHeader? = error else { Issue.record("expected oversizedHeader, got \(String(describing: error))"); return }
    }

    /// A declared header length no valid file has (past the reference
    /// reader's 100 MB cap: 2^63, 2^64 − 1) is a malformed file (400), not an
    /// adapter for another base (422); a length a larger base's adapter
    /// could have stays 422. Either message names the file once.
    @Test func aHeaderLengthNoFileCanHaveIsAnUnreadableFileNamedOnce() throws {
        let base = LoRATestSupport.tinyLlamaShapes
        func prefix(_ n: UInt64) -> Data { Data((0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }) }
        for n in [UInt64(1) << 63, .max, 100_000_001] {
            let error = expectAdapterError(["adapter_model.safetensors", String(n)]) {
                try AdapterLoader.checkWeightsPrefix(prefix(n), base: base)
            }
            guard case .unreadableWeights? = error else { Issue.record("\(n): expected unreadableWeights, got \(String(describing: error))"); continue }
            #expect(error?.description.components(separatedBy: "adapter_model.safetensors").count == 2, "\(String(describing: error))")
        }
        let big = expectAdapterError(["maybe the wrong base model"]) { try AdapterLoader.checkWeightsPrefix(prefix(1 << 20), base: base) }
        guard case .oversizedHeader? = big else { Issue.record("expected oversizedHeader, got \(String(describing: big))"); return }
        #expect(big?.description.components(separatedBy: "adapter_model.safetensors").count == 2, "\(String(describing: big))")
        // A whole file that is not safetensors: one file name too.
        let garbage = expectAdapterError(["adapter_model.safetensors", "truncated"]) {
            _ = try AdapterLoader.load(name: "x", configJSON: config, safetensors: Data([1, 2, 3]), base: base)
        }
        #expect(garbage?.description.components(separatedBy: "adapter_model.safetensors").count == 2,
                "\(String(describing: garbage))")
    }

    @Test func integerTensorsAreRefused() {
        let a = LoRATestSupport.key(0, .q, "lora_A")
        let ints = replacing(a) { $0.dtype = .i32; $0.raw = [UInt8](repeating: 1, count: 4 * $0.values.count) }
        refused(ints, naming: [a, "I32"])
        let doubles = replacing(a) { $0.dtype = .f64; $0.raw = [UInt8](repeating: 0, count: 8 * $0.values.count) }
        refused(doubles, naming: [a, "F64"])
    }

    @Test func embeddingKeysAreRefused() {
        var emb = tensors
        emb.append(T(name: "base_model.model.model.embed_tokens.lora_embedding_A", dtype: .f32, shape: [8, 2048],
                     values: .init(repeating: 0, count: 8 * 2048)))
        refused(emb, naming: ["embed_tokens", "lm_head"])
        var head = tensors
        head.append(T(name: "base_model.model.lm_head.lora_A.weight", dtype: .f32, shape: [8, 128], values: .init(repeating: 0, count: 1024)))
        refused(head, naming: ["base_model.model.lm_head.lora_A.weight"])
        var full = tensors
        full.append(T(name: "base_model.model.model.embed_tokens.weight", dtype: .f32, shape: [2, 128], values: .init(repeating: 0, count: 256)))
        refused(full, naming: ["base_model.model.model.embed_tokens.weight"])
    }

    @Test func doraMagnitudeAndLoraBiasTensorsAreRefused() {
        var dora = tensors
        dora.append(T(name: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", dtype: .f32,
                      shape: [128], values: .init(repeating: 1, count: 128)))
        refused(dora, naming: ["lora_magnitude_vector", "DoRA"])
        var bias = tensors
        bias.append(T(name: "base_model.model.model.layers.0.self_attn.q_proj.lora_B.bias", dtype: .f32,
                      shape: [128], values: .init(repeating: 0, count: 128)))
        refused(bias, naming: ["lora_B.bias", "lora_bias"])
    }

    @Test func adapterNamedKeysAreRefusedWithTheExpectedForm() {
        let renamed = tensors.map { t -> T in
            var t = t; t.name = t.name.replacingOccurrences(of: ".weight", with: ".default.weight"); return t
        }
        refused(renamed, naming: ["lora_A.default.weight", "'default'", "save_pretrained"])
    }

    @Test func aFactorGivenTwiceIsRefused() {
        let a = LoRATestSupport.key(0, .q, "lora_A")
        var twice = tensors
        var copy = tensors.first { $0.name == a }!
        copy.name = String(a.dropFirst("base_model.model.".count))
        twice.append(copy)
        refused(twice, naming: [a, "duplicates"])
    }

    @Test func anEmptyFileIsRefused() {
        refused([], naming: ["no LoRA modules"])
    }

    @Test func garbageWeightsAreRefused() throws {
        expectAdapterError(["adapter_model.safetensors"]) {
            _ = try AdapterLoader.load(name: "x", configJSON: config, safetensors: Data("not a safetensors file".utf8),
                                       base: LoRATestSupport.tinyLlamaShapes)
        }
    }

    @Test func aFolderWithoutWeightsIsRefused() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try config.write(to: dir.appendingPathComponent("adapter_config.json"))
        expectAdapterError(["adapter_model.safetensors", "missing"]) {
            _ = try AdapterLoader.load(name: "x", folder: dir, base: LoRATestSupport.tinyLlamaShapes)
        }
    }

    @Test func configRefusalsAlsoStopAnUpload() throws {
        let dora = try LoRATestSupport.config(setting: ["use_dora": true])
        refused(tensors, config: dora, naming: ["use_dora"])
        refused(tensors, config: Data("{".utf8), naming: ["not valid JSON"])
    }
}
