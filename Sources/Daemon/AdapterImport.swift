import Foundation
import LoRA
import Registry

/// How an adapter enters the registry, whoever brings it (`POST /adapters`,
/// `POST /v1/load_lora_adapter`, a folder in `adapter_dirs`): validated
/// against the served base exactly as an upload is, then stored.
enum AdapterImport {
    /// Validates PEFT's two files against the base (`AdapterLoader`, the
    /// code the engine loads with) and describes them for the registry.
    /// - Throws: 400 for a config that is not UTF-8 text; `AdapterLoader`'s
    ///   errors (400/422 naming the tensor or key).
    /// A DoRA adapter's factors, computed by that validation, go with it
    /// (`AdapterCompatibility.factorsToStore`) so the registry stores them
    /// in the adapter's own transaction.
    /// (`AdapterLoader.validate`: the F32 modules are dropped one by one,
    /// never all held beside the upload.)
    static func validate(name: String, config: Data, weights: Data, base: some BaseLinears,
                         identity: BaseModelIdentity?, modelID: String,
                         compatibility: AdapterCompatibility?) throws -> NewAdapter {
        let configText = try Self.configText(config)
        let valid = try AdapterLoader.validate(configJSON: config, safetensors: weights, base: base, identity: identity)
        var new = Self.newAdapter(name: name, configText: configText, info: valid.info, modelID: modelID)
        new.doraFactors = compatibility?.factorsToStore(valid.doraFactors)
        return new
    }

    /// `validate`, also returning the adapter as the engine loads it.
    static func load(name: String, config: Data, weights: Data, base: some BaseLinears,
                     identity: BaseModelIdentity?, modelID: String,
                     compatibility: AdapterCompatibility?) throws -> (new: NewAdapter, adapter: LoRAAdapter) {
        let configText = try Self.configText(config)
        let loaded = try AdapterLoader.load(name: name, configJSON: config, safetensors: weights, base: base,
                                            identity: identity)
        var new = Self.newAdapter(name: name, configText: configText, info: loaded.info, modelID: modelID)
        new.doraFactors = compatibility?.factorsToStore(DoRAFactorTable(loaded.adapter))
        return (new, loaded.adapter)
    }

    /// - Throws: 400 for a config that is not UTF-8 text.
    private static func configText(_ config: Data) throws -> String {
        guard let text = String(data: config, encoding: .utf8) else {
            throw APIError.badRequest("invalid adapter: adapter_config.json is not UTF-8 text")
        }
        return text
    }

    /// The registry's row for an adapter `info` describes.
    private static func newAdapter(name: String, configText: String, info: AdapterInfo, modelID: String) -> NewAdapter {
        let scales = info.scales
        return NewAdapter(name: name, configJSON: configText, ranks: info.ranks, alpha: info.loraAlpha,
                          scale: scales.count == 1 ? Double(scales[0]) : nil,
                          targetModules: info.adaptedKinds, dora: info.useDoRA, baseModelId: modelID)
    }

    /// Validates off the event loop, then stores: a replace first takes the
    /// old version out of a live merge; new requests then load the version
    /// just committed while running ones keep theirs.
    /// - Returns: the stored record and how many requests were running with
    ///   the version it replaced.
    static func store(name: String, config: Data, weights: Data, chatTemplate: String? = nil, replace: Bool,
                      service: LoadedModel) async throws -> (record: AdapterRecord, running: Int) {
        try AdapterNameIsBaseModel.refuse(name, modelID: service.modelID, .storing)
        let base = service.base, identity = service.baseIdentity, modelID = service.modelID
        let compatibility = service.compatibility
        let new = try await BlockingWork.compute {
            var new = try validate(name: name, config: config, weights: weights, base: base, identity: identity,
                                   modelID: modelID, compatibility: compatibility)
            new.chatTemplate = chatTemplate
            return new
        }
        let registry = service.registry
        return try await service.adapterChanges.run { [service] in
            // A folder import of this name still waiting for its row is
            // superseded: this version is the one acknowledged, stored and
            // served (a write of it already begun commits first, and then
            // this insert sees it: 409, or replaced).
            let superseded = service.folderImports?.withdraw(name) ?? false
            if replace || superseded { try await LiveMergeHandler.unmergeIfMerged(name, service: service) }
            let record = try await BlockingWork.run { try registry.insert(new, weights: .data(weights), replace: replace) }
            let running = service.cache.leaseCount(name)
            service.cache.invalidate(name)
            service.compatibility.remember(name: name, generation: record.generation, problem: nil)
            return (record, running)
        }
    }
}
