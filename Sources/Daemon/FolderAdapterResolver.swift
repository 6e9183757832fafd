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
/// like an upload, then stored in the registry), and served. Many replicas
/// can so share one read-only volume of adapters.
///
/// Single flight: the adapter cache asks its source for a name once at a
/// time (concurrent first requests wait for that one load), so N concurrent
/// first requests import once. A folder that fails validation answers 422,
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
    /// Folders that failed validation: name → (their files' stamps, why).
    private let failures = Mutex<[String: (stamps: [AdapterDirectories.FileStamp], problem: String)]>([:])

    init(registrySource: RegistryAdapterSource, directories: AdapterDirectories, hubCache: HubCacheLayout? = nil,
         base: LlamaWeights, identity: BaseModelIdentity?, modelID: String, maxWeightsBytes: Int, logger: Logger) {
        self.registrySource = registrySource
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
            guard let (folder, area) = try locate(name) else { throw AdapterSourceError.unknownAdapter(name) }
            return try importFolder(folder, as: name, from: area) ?? registrySource.payload(of: name)
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

    /// Validates and stores the folder as `name`; returns the stored version
    /// with the adapter validation loaded (so it is not loaded twice), or nil
    /// when another version got that name meanwhile (serve that one).
    /// - Throws: `AdapterUnavailable` (422) when it fails validation, now or
    ///   earlier with the same files; `AdapterPathError` when unreadable.
    func importFolder(_ folder: String, as name: String, from area: AdapterDirectories) throws -> AdapterPayload? {
        let stamps = try area.stamps(ofFolder: folder)
        if let failure = failures.withLock({ $0[name] }), failure.stamps == stamps {
            throw AdapterUnavailable(name: name, reason: failure.problem)
        }
        let files = try area.readAdapter(folder: folder, maxWeightsBytes: maxWeightsBytes)
        let loaded: (new: NewAdapter, adapter: LoRAAdapter)
        do {
            loaded = try AdapterImport.load(name: name, config: files.config, weights: files.weights, base: base,
                                            identity: identity, modelID: modelID)
        } catch {
            let problem = String(describing: error)
            failures.withLock { $0[name] = (stamps, problem) }
            logger.warning("adapter folder fails validation; not read again until its files change",
                           ["adapter": name, "path": folder, "reason": problem])
            throw AdapterUnavailable(name: name, reason: problem)
        }
        failures.withLock { _ = $0.removeValue(forKey: name) }
        do {
            let record = try registrySource.registry.insert(loaded.new, weights: .data(files.weights))
            registrySource.compatibility.remember(name: name, generation: record.generation, problem: nil)
            logger.info("adapter imported from folder", ["adapter": name, "path": folder, "sha256": record.sha256])
            return AdapterPayload(name: name, configJSON: files.config, weights: files.weights,
                                  version: record.generation, preloaded: loaded.adapter)
        } catch RegistryError.alreadyExists {
            return nil   // uploaded or loaded meanwhile
        }
    }
}
