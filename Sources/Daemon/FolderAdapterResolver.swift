import Foundation
import Llama
import LoRA
import Registry
import Serving
import Synchronization

/// The engine's adapter source when `adapter_dirs` or `hf_hub_cache` are
/// configured: the registry first; a name it lacks is looked up as
/// `DIR/NAME/adapter_config.json` in each folder in order (a hub id
/// `ORG/NAME` as `DIR/ORG/NAME/`), then, for a hub id, in the Hugging Face
/// hub cache (`HubCacheLayout`), imported on first use (validated exactly
/// like an upload) and served at once, while its registry row is written
/// behind the request (`FolderImportWrites`: the folder stays its durable
/// source until then). Many replicas can so share one read-only volume of
/// adapters.
///
/// Single flight: the adapter cache asks its source for a name once at a
/// time (concurrent first requests wait for that one load), and a name
/// whose row is still being written is served from that pending import, so
/// N concurrent first requests import once. A folder that fails validation answers 422,
/// and is not read again until one of its two files changes size or
/// modification time (in the hub cache: until `refs/main` names a snapshot
/// whose files differ).
public final class FolderAdapterResolver: AdapterSource, Sendable {
    let registrySource: RegistryAdapterSource
    let directories: AdapterDirectories
    /// Where hub ids are also looked up (`hf_hub_cache`), if anywhere.
    let hubCache: HubCacheLayout?
    /// The resident base (DoRA factors are validated against its weights).
    let base: LlamaWeights
    let identity: BaseModelIdentity?
    let modelID: String
    let maxWeightsBytes: Int
    let logger: Logger
    /// Imports served before their registry row is written.
    let writes: FolderImportWrites
    /// Folders that failed validation: name → (their files' stamps, why).
    private let failures = Mutex<[String: (stamps: [AdapterDirectories.FileStamp], problem: String)]>([:])

    init(registrySource: RegistryAdapterSource, directories: AdapterDirectories, hubCache: HubCacheLayout? = nil,
         base: LlamaWeights, identity: BaseModelIdentity?, modelID: String, maxWeightsBytes: Int,
         writes: FolderImportWrites, logger: Logger) {
        self.registrySource = registrySource
        self.writes = writes
        self.directories = directories
        self.hubCache = hubCache
        self.base = base
        self.identity = identity
        self.modelID = modelID
        self.maxWeightsBytes = maxWeightsBytes
        self.logger = logger
    }

    public func payload(of name: String) throws -> AdapterPayload {
        do {
            return try registrySource.payload(of: name)
        } catch AdapterSourceError.unknownAdapter(let unknown) where unknown == name {
            // Asked after the registry: once an upload of this name is
            // stored, its version wins over an import still pending.
            if let pending = writes.payload(of: name) { return pending }
            guard let (folder, area) = try locate(name) else { throw AdapterSourceError.unknownAdapter(name) }
            return try importFolder(folder, as: name, from: area)
        }
    }

    /// The first `DIR/NAME` holding an `adapter_config.json` (and resolving
    /// inside `adapter_dirs`), else a hub id's snapshot in the hub cache;
    /// with the folders its files must resolve into. Nil when neither has it.
    /// - Throws: `AdapterPathError` for a hub cache entry that is incomplete
    ///   or leaves the cache (`HubCacheLayout.locate`).
    func locate(_ name: String) throws(AdapterPathError) -> (folder: String, area: AdapterDirectories)? {
        // Only a valid adapter name can become path components here (at
        // most one "/", no "..", no leading "."): the engine parsed it as one.
        guard (try? AdapterRegistry.validateName(name)) != nil else { return nil }
        for root in directories.roots {
            let folder = root + "/" + name
            guard FileManager.default.fileExists(atPath: folder + "/" + AdapterDirectories.configFile),
                  let real = try? directories.resolve(folder) else { continue }
            return (real, directories)
        }
        return try hubCache?.locate(name)
    }

    /// Validates the folder as `name` and queues its registry row; returns
    /// it with the adapter validation loaded (so it is not loaded twice).
    /// - Throws: `AdapterUnavailable` (422) when it fails validation, now or
    ///   earlier with the same files; `AdapterPathError` when unreadable.
    func importFolder(_ folder: String, as name: String, from area: AdapterDirectories) throws -> AdapterPayload {
        let stamps = try area.stamps(ofFolder: folder)
        if let failure = failures.withLock({ $0[name] }), failure.stamps == stamps {
            throw AdapterUnavailable(name: name, reason: failure.problem, folder: folder)
        }
        let files = try area.readAdapter(folder: folder, maxWeightsBytes: maxWeightsBytes)
        let loaded: (new: NewAdapter, adapter: LoRAAdapter)
        do {
            loaded = try AdapterImport.load(name: name, config: files.config, weights: files.weights, base: base,
                                            identity: identity, modelID: modelID, compatibility: writes.compatibility)
        } catch {
            let problem = String(describing: error)
            failures.withLock { $0[name] = (stamps, problem) }
            logger.warning("adapter folder fails validation; not read again until its files change",
                           ["adapter": name, "path": folder, "reason": problem])
            throw AdapterUnavailable(name: name, reason: problem, folder: folder)
        }
        failures.withLock { _ = $0.removeValue(forKey: name) }
        // No version yet: the registry's generation exists once the row is
        // written, and `FolderImportWrites` remembers the check for it then.
        let payload = AdapterPayload(name: name, configJSON: files.config, weights: files.weights,
                                     version: nil, preloaded: loaded.adapter)
        writes.enqueue(loaded.new, payload: payload, folder: folder)
        logger.info("adapter imported from folder", ["adapter": name, "path": folder, "bytes": files.weights.count])
        return payload
    }
}
