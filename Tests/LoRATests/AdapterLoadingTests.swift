import Foundation
import LoRA
import SafeTensors
import Testing
import TestSupport

/// Loading the fixture adapters, checked against what PEFT itself recorded
/// (references.json `variants[].modules`: r, lora_alpha, scaling per module).
@Suite struct AdapterLoadingTests {
    struct RecordedModule { let r: Int; let alpha: Double; let scaling: Double }

    /// `modules` of the PEFT variant built from `adapters/<name>`.
    static func recordedModules(_ adapter: String) throws -> [String: RecordedModule] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.references)) as? [String: Any])
        let variants = try #require(root["variants"] as? [[String: Any]])
        let variant = try #require(variants.first { ($0["adapter_dir"] as? String) == "adapters/\(adapter)" })
        let modules = try #require(variant["modules"] as? [String: [String: Any]])
        return try modules.mapValues {
            RecordedModule(r: try #require($0["r"] as? Int), alpha: try #require($0["lora_alpha"] as? Double),
                           scaling: try #require($0["scaling"] as? Double))
        }
    }

    @Test(arguments: Fixtures.adapterNames)
    func fixtureAdapterMatchesWhatPeftRecorded(_ name: String) throws {
        let loaded = try LoRATestSupport.load(name)
        let recorded = try Self.recordedModules(name)
        #expect(Set(loaded.adapter.modules.keys.map(\.modulePath)) == Set(recorded.keys))
        for (id, module) in loaded.adapter.modules {
            let want = try #require(recorded[id.modulePath])
            #expect(module.rank == want.r, "\(id)")
            #expect(module.scale == Float(want.scaling), "\(id)")
            let shape = try #require(LoRATestSupport.tinyLlamaShapes[id])
            #expect(module.a.count == module.rank * shape.inFeatures)
            #expect(module.b.count == shape.outFeatures * module.rank)
        }
        #expect(loaded.info.modules.count == recorded.count)
        for m in loaded.info.modules {
            let want = try #require(recorded[m.id.modulePath])
            #expect(m.rank == want.r && m.alpha == want.alpha && m.scale == Float(want.scaling))
        }
    }

    @Test func metadataDescribesTheAdapter() throws {
        let info = try LoRATestSupport.load("rslora-qkvo-r16").info
        #expect(info.r == 16 && info.loraAlpha == 16 && info.useRSLoRA)
        #expect(info.ranks == [16])
        #expect(info.scales == [4])
        #expect(info.adaptedKinds == ["q_proj", "k_proj", "v_proj", "o_proj"])
        #expect(info.baseModelNameOrPath == "tiny-llama")
        // per layer: q 16·(128+128) + k 16·(128+64) + v 16·(128+64) + o 16·(128+128)
        let perLayer = 16 * (256 + 192 + 192 + 256)
        #expect(info.parameterCount == 4 * perLayer)
        #expect(info.parameterBytes == 4 * perLayer * 4)
    }

    @Test func valuesEqualTheFileTensors() throws {
        let loaded = try LoRATestSupport.load("python-qv-r8")
        let file = try SafeTensorsFile(data: LoRATestSupport.weightsData("python-qv-r8"), name: "w")
        let id = LinearID(layer: 2, kind: .v)
        let module = try #require(loaded.adapter.modules[id])
        #expect(module.a == (try file.floats(LoRATestSupport.key(2, .v, "lora_A"))))
        #expect(module.b == (try file.floats(LoRATestSupport.key(2, .v, "lora_B"))))
    }

    @Test func uploadBytesLoadLikeTheFolder() throws {
        let fromFolder = try LoRATestSupport.load("upper-all-r4")
        let fromBytes = try AdapterLoader.load(
            name: "upper-all-r4", configJSON: LoRATestSupport.configData("upper-all-r4"),
            safetensors: LoRATestSupport.weightsData("upper-all-r4"), base: LoRATestSupport.tinyLlamaShapes)
        #expect(fromFolder.info == fromBytes.info)
        for (id, m) in fromFolder.adapter.modules {
            #expect(fromBytes.adapter.modules[id]?.a == m.a && fromBytes.adapter.modules[id]?.b == m.b)
        }
    }

    @Test func checkpointShapesEqualTheHandWrittenShapes() throws {
        let checkpoint = try Checkpoint(folder: Fixtures.tinyLlama)
        #expect(AdapterLoader.linearShapes(of: checkpoint) == LoRATestSupport.tinyLlamaShapes)
    }

    @Test func halfPrecisionFilesLoadAsF32() throws {
        // The same tensors stored as BF16 and F16 (values chosen exactly representable).
        var tensors = try LoRATestSupport.tensors("python-qv-r8")
        for i in tensors.indices {
            tensors[i].values = tensors[i].values.map { Float(Int($0 * 256)) / 256 }
            tensors[i].dtype = i % 2 == 0 ? .bf16 : .f16
        }
        let loaded = try LoRATestSupport.load(config: LoRATestSupport.configData("python-qv-r8"), tensors: tensors)
        let first = tensors[0]
        #expect(loaded.adapter.modules[LinearID(layer: 0, kind: .q)]?.a == first.values)
    }

    @Test func keysWithoutThePeftPrefixAreAccepted() throws {
        var tensors = try LoRATestSupport.tensors("python-qv-r8")
        for i in tensors.indices { tensors[i].name = String(tensors[i].name.dropFirst("base_model.model.".count)) }
        let loaded = try LoRATestSupport.load(config: LoRATestSupport.configData("python-qv-r8"), tensors: tensors)
        #expect(loaded.adapter.modules.count == 8)
    }

    @Test func aTargetedModuleAbsentFromTheFileIsLeftUnadapted() throws {
        // PEFT initialises B = 0 for a module missing from the file: a zero delta.
        let tensors = try LoRATestSupport.tensors("python-qv-r8").filter { !$0.name.contains("layers.3.") }
        let loaded = try LoRATestSupport.load(config: LoRATestSupport.configData("python-qv-r8"), tensors: tensors)
        #expect(loaded.adapter.modules.count == 6)
    }
}
