import Foundation
import Testing
import Llama
import LoRA
import TestSupport

/// `base_model_name_or_path` against the served base's family: the one
/// mismatch tensor shapes cannot see (tiny-llama and tiny-qwen2 have the
/// same linear shapes).
@Suite struct BaseModelIdentityTests {
    static let qwen2 = Result { try LlamaConfig(folder: Fixtures.tinyQwen2).baseIdentity(names: ["tiny-qwen2"]) }

    @Test(arguments: [
        ("tiny-llama", true), ("meta-llama/Llama-3.2-1B", true), ("mistralai/Mistral-7B-v0.1", true),
        ("Qwen/Qwen3-0.6B", true), ("/data/models/TinyLlama-1.1B", true),
        ("Qwen/Qwen2.5-0.5B-Instruct", false), ("tiny-qwen2", false), ("/srv/models/tiny-qwen2/", false),
        ("HuggingFaceTB/SmolLM2-135M", false), ("my-finetune", false), ("", false),
    ])
    func declaredBasesOfAnotherFamilyAreMismatches(declared: String, refused: Bool) throws {
        let reason = try Self.qwen2.get().mismatch(declaredBase: declared)
        #expect((reason != nil) == refused, "\(declared): \(reason ?? "accepted")")
        if let reason { #expect(reason.contains("qwen2") && reason.contains("tiny-qwen2")) }
    }

    /// The base's own names win over the fragments they happen to contain.
    @Test func theBasesOwnNameIsNeverAMismatch() throws {
        let identity = try LlamaConfig(folder: Fixtures.tinyQwen2).baseIdentity(names: ["llama-distilled-qwen"])
        #expect(identity.mismatch(declaredBase: "org/Llama-Distilled-Qwen") == nil)
        #expect(identity.mismatch(declaredBase: "org/llama-other") != nil)
    }

    @Test func theLoaderRefusesALlamaAdapterForAQwen2BaseBeforeReadingWeights() throws {
        let identity = try Self.qwen2.get()
        let folder = Fixtures.adapter("python-qv-r8")
        // Shapes alone accept it: tiny-llama's are tiny-qwen2's.
        let shapes = LoRATestSupport.tinyLlamaShapes
        _ = try AdapterLoader.load(name: "p", folder: folder, base: shapes)
        let error = #expect(throws: AdapterError.self) {
            _ = try AdapterLoader.load(name: "p", folder: folder, base: shapes, identity: identity)
        }
        guard case .wrongBaseModel(let declared, _) = error else {
            Issue.record("expected wrongBaseModel, got \(String(describing: error))")
            return
        }
        #expect(declared == "tiny-llama")
        #expect(error?.description.contains("base_model_name_or_path") == true)
        // Its own adapters pass.
        _ = try AdapterLoader.load(name: "q", folder: Fixtures.adapter("qwen2-python-qv-r8"), base: shapes, identity: identity)
    }

    /// The Qwen3 adapter's k/v/q/o factors are head_dim-48 shaped; against
    /// tiny-llama's linears they are refused naming the tensor and shapes.
    @Test func aQwen3AdapterIsRefusedByShapeOnTinyLlama() throws {
        let error = #expect(throws: AdapterError.self) {
            _ = try AdapterLoader.load(name: "q3", folder: Fixtures.adapter("qwen3-python-qkvo-r8"), base: LoRATestSupport.tinyLlamaShapes)
        }
        // Layer 0's q_proj comes first: lora_A [8, 128] fits, lora_B [192, 8] does not.
        let message = error?.description ?? ""
        #expect(message.contains("layers.0.self_attn.q_proj.lora_B") && message.contains("[192, 8]"), "\(message)")
    }
}
