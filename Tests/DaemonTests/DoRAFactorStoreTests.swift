import Foundation
import Testing
import Llama
import LoRA
import Registry
import Serving
import TestSupport
@testable import Daemon

/// DoRA factors stored in the registry with the adapter and read back on a
/// cold load (`AdapterCompatibility+DoRAFactors`): the registry source hands
/// them to the loader only for the same base (its resident values and
/// format), and what the load ends with equals a fresh computation — with
/// the stored factors, against another base, and with damaged ones, which
/// are then rewritten.
@Suite struct DoRAFactorStoreTests {
    static let f32 = Result { try LlamaModel.load(folder: Fixtures.tinyLlama) }
    static let bf16 = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaBF16) }

    static func files(_ name: String) throws -> (config: Data, weights: Data) {
        let folder = Fixtures.adapter(name)
        return (try Data(contentsOf: folder.appendingPathComponent(AdapterLoader.configFileName)),
                try Data(contentsOf: folder.appendingPathComponent(AdapterLoader.weightsFileName)))
    }

    static func fresh(_ name: String, on base: LlamaWeights) throws -> LoRAAdapter {
        try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: base).adapter
    }

    static func bits(_ adapter: LoRAAdapter) -> [LinearID: [UInt32]] {
        adapter.modules.compactMapValues { $0.doraFactor?.map(\.bitPattern) }
    }

    /// A registry holding fixture `name` stored as an upload stores it
    /// (validated against `compatibility`'s base, factors in its row).
    static func registry(with name: String, compatibility make: (AdapterRegistry) -> AdapterCompatibility,
                         on base: LlamaWeights) throws -> (AdapterRegistry, AdapterCompatibility, AdapterRecord) {
        let dir = try Fixtures.temporaryDirectory("lorad-dora-factors")
        let registry = try AdapterRegistry(url: dir.appendingPathComponent("adapters.sqlite3"))
        let compatibility = make(registry)
        let files = try files(name)
        let new = try AdapterImport.validate(name: name, config: files.config, weights: files.weights, base: base,
                                             identity: nil, modelID: "tiny-llama", compatibility: compatibility)
        return (registry, compatibility, try registry.insert(new, weights: files.weights))
    }

    /// A cold load as the daemon's cache does it: the registry source's
    /// payload through the checking, validating loader.
    static func coldLoad(_ name: String, _ registry: AdapterRegistry, _ compatibility: AdapterCompatibility,
                         base: LlamaWeights) throws -> (payload: AdapterPayload, adapter: LoRAAdapter) {
        let payload = try RegistryAdapterSource(registry: registry, compatibility: compatibility).payload(of: name)
        let loader = compatibility.checkingLoader(AdapterCache.validatingLoader(base: base))
        return (payload, try loader(payload))
    }

    static func stored(_ registry: AdapterRegistry, _ record: AdapterRecord, key: String?) throws -> DoRAFactorTable? {
        guard let key, let row = try registry.doraFactors(named: record.name, generation: record.generation,
                                                          baseFingerprint: key) else { return nil }
        return try DoRAFactorTable(modules: row.modules, factors: row.factors)
    }

    @Test(arguments: Fixtures.doraAdapterNames)
    func aColdLoadUsesTheFactorsStoredAtUploadAndEqualsAFreshLoad(adapter name: String) throws {
        let base = try Self.f32.get().weights
        let (registry, compatibility, record) = try Self.registry(with: name, compatibility: {
            AdapterCompatibility(registry: $0, base: base, identity: nil, baseFingerprint: "validation")
        }, on: base)
        let fresh = try Self.fresh(name, on: base)
        #expect(try Self.stored(registry, record, key: compatibility.factorsFingerprint) == DoRAFactorTable(fresh))
        let (payload, adapter) = try Self.coldLoad(name, registry, compatibility, base: base)
        #expect(payload.doraFactors == DoRAFactorTable(fresh))
        #expect(Self.bits(adapter) == Self.bits(fresh))
    }

    /// The same registry served by the same checkpoint resident as BF16 (and
    /// the same validation fingerprint): the F32 base's factors are not
    /// handed out; the load computes the BF16 base's own, equal to a fresh
    /// load on it and different from the F32 ones, and stores them beside
    /// the F32 base's, which stay as they were.
    @Test func anotherResidentFormatRecomputesAndStoresItsOwnFactors() throws {
        let name = "dora-all-r4-rslora"
        let (onF32, onBF16) = (try Self.f32.get().weights, try Self.bf16.get().weights)
        let (registry, f32Compatibility, record) = try Self.registry(with: name, compatibility: {
            AdapterCompatibility(registry: $0, base: onF32, identity: nil, baseFingerprint: "validation")
        }, on: onF32)
        let bf16Compatibility = AdapterCompatibility(registry: registry, base: onBF16, identity: nil,
                                                     baseFingerprint: "validation")
        let (f32Key, bf16Key) = (f32Compatibility.factorsFingerprint, bf16Compatibility.factorsFingerprint)
        #expect(f32Key != nil && bf16Key != nil && f32Key != bf16Key)

        let (payload, adapter) = try Self.coldLoad(name, registry, bf16Compatibility, base: onBF16)
        #expect(payload.doraFactors == nil)
        let (fresh, freshF32) = (try Self.fresh(name, on: onBF16), try Self.fresh(name, on: onF32))
        #expect(Self.bits(adapter) == Self.bits(fresh))
        #expect(Self.bits(adapter) != Self.bits(freshF32))
        bf16Compatibility.flush()
        #expect(try Self.stored(registry, record, key: bf16Key) == DoRAFactorTable(fresh))
        #expect(try Self.stored(registry, record, key: f32Key) == DoRAFactorTable(freshF32))
        // The next cold load on the BF16 base reads them back.
        #expect(try Self.coldLoad(name, registry, bf16Compatibility, base: onBF16).payload.doraFactors == DoRAFactorTable(fresh))
    }

    /// Damaged stored factors (values cut short, a NaN, a module list that
    /// does not parse) are not trusted: the load succeeds with the fresh
    /// factors and rewrites the stored ones.
    @Test(arguments: ["short", "nan", "modules"])
    func damagedStoredFactorsAreRecomputedAndRewritten(damage: String) throws {
        let name = "dora-qv-r8"
        let base = try Self.f32.get().weights
        let (registry, compatibility, record) = try Self.registry(with: name, compatibility: {
            AdapterCompatibility(registry: $0, base: base, identity: nil, baseFingerprint: "validation")
        }, on: base)
        let key = try #require(compatibility.factorsFingerprint)
        let good = try #require(try registry.doraFactors(named: name, generation: record.generation, baseFingerprint: key))
        var (modules, values) = (good.modules, good.factors)
        switch damage {
        case "short": values = values.dropLast(4)
        case "nan": values.replaceSubrange(8..<12, with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) })
        default: modules = "garbage"
        }
        #expect(try registry.storeDoRAFactors(named: name, generation: record.generation,
                                              StoredDoRAFactors(baseFingerprint: key, modules: modules, factors: values)))
        let fresh = try Self.fresh(name, on: base)
        let (_, adapter) = try Self.coldLoad(name, registry, compatibility, base: base)
        #expect(Self.bits(adapter) == Self.bits(fresh))
        compatibility.flush()
        #expect(try registry.doraFactors(named: name, generation: record.generation, baseFingerprint: key) == good)
    }

    @Test func aPlainLoRAAdapterStoresNoFactors() throws {
        let base = try Self.f32.get().weights
        let (registry, compatibility, record) = try Self.registry(with: "python-qv-r8", compatibility: {
            AdapterCompatibility(registry: $0, base: base, identity: nil, baseFingerprint: "validation")
        }, on: base)
        let (payload, adapter) = try Self.coldLoad("python-qv-r8", registry, compatibility, base: base)
        #expect(payload.doraFactors == nil && !adapter.isDoRA)
        compatibility.flush()
        #expect(try Self.stored(registry, record, key: compatibility.factorsFingerprint) == nil)
    }

    /// Start-up reads every weight for the factors' key only when the
    /// registry holds a DoRA adapter; without one the key waits for its
    /// first use (a DoRA upload or load), and is the same key then.
    @Test func startUpTakesTheValuesDigestOnlyWhenARegistryHoldsADoRAAdapter() throws {
        let base = try Self.f32.get().weights
        let make = { (registry: AdapterRegistry) in
            AdapterCompatibility(registry: registry, base: base, identity: nil, baseFingerprint: "validation")
        }
        let (plainRegistry, _, _) = try Self.registry(with: "python-qv-r8", compatibility: make, on: base)
        #expect(try !plainRegistry.holdsDoRAAdapter())
        let plain = make(plainRegistry)
        #expect(!plain.factorsKeyIsKnown)
        let lazyKey = plain.factorsFingerprint
        #expect(plain.factorsKeyIsKnown && lazyKey != nil)

        let (doraRegistry, _, _) = try Self.registry(with: "dora-qv-r8", compatibility: make, on: base)
        #expect(try doraRegistry.holdsDoRAAdapter())
        let restarted = make(doraRegistry)
        #expect(restarted.factorsKeyIsKnown)
        #expect(restarted.factorsFingerprint == lazyKey)
    }

    /// The digest the factors are keyed by follows every value of every
    /// linear: one element changed by one unit in the last place changes it;
    /// the same values give the same digest.
    @Test func theValuesDigestChangesWithAnyWeight() throws {
        let weights = try Self.f32.get().weights
        struct Nudged: BaseLinears {
            let base: LlamaWeights
            let id: LinearID?
            var linearShapes: [LinearID: LinearShape] { base.linearShapes }
            func withWeight<R>(of id: LinearID, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
                try base.withWeight(of: id) { w0 in
                    var copy = Array(w0)
                    if id == self.id { copy[copy.count / 2] = copy[copy.count / 2].nextUp }
                    return try copy.withUnsafeBufferPointer(body)
                }
            }
        }
        let digest = try AdapterCompatibility.valuesDigest(of: weights)
        #expect(try AdapterCompatibility.valuesDigest(of: Nudged(base: weights, id: nil)) == digest)
        for id in [LinearID(layer: 0, kind: .q), LinearID(layer: 1, kind: .down)] {
            #expect(try AdapterCompatibility.valuesDigest(of: Nudged(base: weights, id: id)) != digest, "\(id)")
        }
    }

    /// Through the daemon: an upload's 201 comes after its factors are
    /// stored (they are there when it answers), and a folder import's
    /// background row write carries them; both equal a fresh load's.
    @Test func anUploadAndAFolderImportStoreTheirFactorsWithTheRow() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-dora-factors-daemon")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            try FolderImportWritesTests.place("dora-qv-r8", as: "dora-folder", in: shared)
            let daemon = try FolderImportWritesTests.Daemon(registry: dir.appendingPathComponent("registry.sqlite"),
                                                            shared: shared)
            defer { daemon.stop() }
            let registry = daemon.service.registry
            let key = daemon.service.compatibility.factorsFingerprint
            let base = try Self.f32.get().weights

            let upload = Fixtures.adapter("dora-all-r4-rslora")
            let r = try Curl.upload(daemon.base, name: "dora-uploaded",
                                    config: upload.appendingPathComponent("adapter_config.json"),
                                    weights: upload.appendingPathComponent("adapter_model.safetensors"))
            #expect(r.status == 201, "\(r.text)")
            let uploaded = try #require(try registry.record(named: "dora-uploaded"))
            #expect(try Self.stored(registry, uploaded, key: key) == DoRAFactorTable(try Self.fresh("dora-all-r4-rslora", on: base)))

            #expect(try daemon.complete("dora-folder") != nil)
            try daemon.writes.drain()
            let imported = try #require(try registry.record(named: "dora-folder"))
            #expect(try Self.stored(registry, imported, key: key) == DoRAFactorTable(try Self.fresh("dora-qv-r8", on: base)))
        }
    }
}
