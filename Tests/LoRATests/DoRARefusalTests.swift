import Foundation
import Llama
import LoRA
import SafeTensors
import Testing
import TestSupport

/// Every DoRA-specific refusal, each from the dora-qv-r8 fixture with one
/// thing broken; the message must name the tensor, module or field at fault.
@Suite struct DoRARefusalTests {
    typealias T = LoRATestSupport.Tensor
    let config: Data
    let tensors: [T]
    let base: LlamaWeights

    init() throws {
        config = try LoRATestSupport.configData("dora-qv-r8")
        tensors = try LoRATestSupport.tensors("dora-qv-r8")
        base = try AdapterFidelityTests.model.get().weights
    }

    func load(_ tensors: [T], config: Data? = nil, base: (any BaseLinears)? = nil) throws -> LoadedAdapter {
        let against: any BaseLinears = base ?? self.base
        return try AdapterLoader.load(name: "test", configJSON: config ?? self.config,
                                      safetensors: try LoRATestSupport.safetensors(tensors), base: against)
    }

    func refused(_ tensors: [T], config: Data? = nil, base: (any BaseLinears)? = nil, naming fragments: [String]) {
        expectAdapterError(fragments) { _ = try load(tensors, config: config, base: base) }
    }

    static func magnitude(_ layer: Int, _ kind: LinearKind) -> String {
        "base_model.model.\(LinearID(layer: layer, kind: kind).modulePath).lora_magnitude_vector"
    }

    func replacing(_ name: String, _ change: (inout T) -> Void) -> [T] {
        tensors.map { t in var t = t; if t.name == name { change(&t) }; return t }
    }

    @Test func theFixtureLoadsAsDoRA() throws {
        let loaded = try load(tensors)
        #expect(loaded.info.useDoRA && loaded.adapter.isDoRA)
        #expect(loaded.adapter.modules.count == 8)
        #expect(tensors.contains { $0.name == Self.magnitude(3, .v) })
    }

    @Test func aMissingMagnitudeVectorIsRefused() {
        let m = Self.magnitude(2, .q)
        refused(tensors.filter { $0.name != m }, naming: [m, "use_dora", "model.layers.2.self_attn.q_proj"])
    }

    @Test func aMagnitudeVectorOfTheWrongShapeIsRefused() {
        let m = Self.magnitude(1, .v)   // v_proj is (64, 128): m must be [64]
        refused(replacing(m) { $0.shape = [128]; $0.values += $0.values }, naming: [m, "[128]", "[64]"])
        refused(replacing(m) { $0.shape = [8, 8] }, naming: [m, "[8, 8]", "[64]"])
    }

    @Test func aNonFiniteMagnitudeIsRefused() {
        let m = Self.magnitude(0, .q)
        refused(replacing(m) { $0.values[17] = .nan }, naming: [m, "nan", "17"])
        refused(replacing(m) { $0.values[3] = .infinity }, naming: [m, "inf"])
    }

    @Test func aMagnitudeVectorWithoutUseDoRAIsRefused() throws {
        let plain = try LoRATestSupport.config("dora-qv-r8", setting: ["use_dora": false])
        refused(tensors, config: plain, naming: [Self.magnitude(0, .q), "use_dora"])
    }

    @Test func aMagnitudeVectorWithoutItsLoRAPairIsRefused() {
        let a = LoRATestSupport.key(1, .q, "lora_A"), b = LoRATestSupport.key(1, .q, "lora_B")
        refused(tensors.filter { $0.name != a && $0.name != b }, naming: [Self.magnitude(1, .q), a])
    }

    @Test func doraOnTheEmbeddingIsRefused() throws {
        var emb = tensors
        let name = "base_model.model.model.embed_tokens.lora_magnitude_vector"
        emb.append(T(name: name, dtype: .f32, shape: [2048], values: .init(repeating: 1, count: 2048)))
        refused(emb, naming: [name, "embed_tokens", "DoRA"])
        let targeting = try LoRATestSupport.config("dora-qv-r8", setting: ["target_modules": ["q_proj", "v_proj", "embed_tokens"]])
        expectAdapterError(["target_modules", "embed_tokens"]) { _ = try LoRAConfig(json: targeting) }
    }

    @Test func aMagnitudeKeyWithAnAdapterNameIsRefused() {
        let m = Self.magnitude(0, .v)
        refused(replacing(m) { $0.name = m + ".default" }, naming: [m + ".default", "'default'", "lora_magnitude_vector"])
        refused(replacing(m) { $0.name = m + ".default.weight" }, naming: ["'default'"])
    }

    /// `.lora_magnitude_vector.weight` loads into the same parameter in PEFT
    /// (`set_peft_model_state_dict` inserts the adapter name before `.weight`).
    @Test func theWeightSuffixedMagnitudeNameLoadsTheSame() throws {
        let renamed = tensors.map { t -> T in
            var t = t; if t.name.hasSuffix(".lora_magnitude_vector") { t.name += ".weight" }; return t
        }
        let a = try load(tensors).adapter, b = try load(renamed).adapter
        for (id, m) in a.modules { #expect(b.modules[id]?.doraFactor == m.doraFactor) }
        var both = tensors
        both.append(renamed.first { $0.name == Self.magnitude(0, .q) + ".weight" }!)
        refused(both, naming: [Self.magnitude(0, .q), "duplicates"])
    }

    /// Only the shapes of the base: DoRA cannot be computed, and says why.
    @Test func aShapesOnlyBaseRefusesDoRA() {
        refused(tensors, base: LoRATestSupport.tinyLlamaShapes, naming: ["model.layers.0.self_attn.q_proj", "base model's weights"])
    }

    /// A row of W0 + s·B·A that is zero makes m / ‖·‖ infinite: refused,
    /// naming the module and the row (the base here has that W0 row zeroed
    /// and the adapter that B row).
    @Test func aRowWithZeroNormIsRefused() throws {
        let id = LinearID(layer: 1, kind: .v), row = 5
        let zeroed = ZeroedRowBase(base: base, id: id, row: row)
        let b = LoRATestSupport.key(1, .v, "lora_B")
        let broken = replacing(b) { t in for k in 0..<8 { t.values[row * 8 + k] = 0 } }
        refused(broken, base: zeroed, naming: [id.modulePath, "row 5", "not finite"])
        // Either alone still loads: the row is not zero then.
        _ = try load(broken)
        _ = try load(tensors, base: zeroed)
    }

    /// The base with one row of one linear set to zero.
    struct ZeroedRowBase: BaseLinears {
        let base: LlamaWeights
        let id: LinearID
        let row: Int
        var linearShapes: [LinearID: LinearShape] { base.linearShapes }
        func withWeight<R>(of id: LinearID, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
            try base.withWeight(of: id) { w in
                guard id == self.id else { return try body(w) }
                var copy = Array(w)
                let width = copy.count / (base.linearShapes[id]?.outFeatures ?? 1)
                for i in 0..<width { copy[row * width + i] = 0 }
                return try copy.withUnsafeBufferPointer(body)
            }
        }
    }
}
