import Foundation
import LoRA
import Testing
import TestSupport

/// `AdapterLoader.validate` (what an upload is checked with before it is
/// stored) decides exactly as `load` (what the engine loads with): the same
/// description and DoRA factors for every fixture, the same refusal for
/// every mutated file.
@Suite struct AdapterValidationTests {
    static let llamaAdapters = ["python-qv-r8", "upper-all-r4", "rslora-qkvo-r16", "dora-qv-r8", "dora-all-r4-rslora"]

    @Test(arguments: llamaAdapters)
    func validationDescribesEveryFixtureAsItsLoadDoes(adapter name: String) throws {
        let base = try AdapterFidelityTests.model.get().weights
        let config = try LoRATestSupport.configData(name), weights = try LoRATestSupport.weightsData(name)
        let loaded = try AdapterLoader.load(name: name, configJSON: config, safetensors: weights, base: base)
        let valid = try AdapterLoader.validate(configJSON: config, safetensors: weights, base: base)
        #expect(valid.info == loaded.info)
        #expect(valid.doraFactors == DoRAFactorTable(loaded.adapter))
        #expect(valid.doraFactors.isEmpty == !loaded.adapter.isDoRA)
    }

    @Test func validationRefusesExactlyWhatLoadingRefusesOnAThousandMutatedFiles() throws {
        let (header, data) = try UploadFuzzTests.parts()
        let config = try LoRATestSupport.configData("python-qv-r8")
        var rng = SplitMix64(seed: 0x7a11_da7e)
        var agreedLoads = 0, agreedRefusals = 0
        for _ in 0..<1_000 {
            let file = UploadFuzzTests.mutate(header, data, &rng)
            let loaded = Result { try AdapterLoader.load(name: "fuzz", configJSON: config, safetensors: file, base: LoRATestSupport.tinyLlamaShapes) }
            let valid = Result { try AdapterLoader.validate(configJSON: config, safetensors: file, base: LoRATestSupport.tinyLlamaShapes) }
            switch (loaded, valid) {
            case let (.success(l), .success(v)):
                #expect(l.info == v.info)
                agreedLoads += 1
            case let (.failure(l), .failure(v)):
                #expect(String(describing: l) == String(describing: v))
                agreedRefusals += 1
            default:
                Issue.record("load and validate disagree: \(loaded) against \(valid)")
            }
        }
        #expect(agreedLoads + agreedRefusals == 1_000)
        #expect(agreedRefusals > 0)
    }
}
