import Foundation
import Registry
import Serving

/// The engine's adapter source over the SQLite registry: the payload is the
/// stored config text and safetensors bytes, tagged with their generation,
/// and a DoRA adapter's stored factors against this base.
/// The cache asks only on a miss; the handlers that delete or replace an
/// adapter invalidate its cached copy.
///
/// A version already known to fail validation against the loaded base
/// (`AdapterCompatibility`) is refused here, before its weights are read,
/// so it is never silently served; an unchecked one is checked by the
/// cache's loader (`AdapterCompatibility.checkingLoader`).
public struct RegistryAdapterSource: AdapterSource {
    public let registry: AdapterRegistry
    public let compatibility: AdapterCompatibility
    /// The base model's id: never served as an adapter's name
    /// (`AdapterNameIsBaseModel`), whatever the registry or a folder holds.
    public let baseModelID: String?

    public init(registry: AdapterRegistry, compatibility: AdapterCompatibility, baseModelID: String? = nil) {
        self.registry = registry
        self.compatibility = compatibility
        self.baseModelID = baseModelID
    }

    public func payload(of name: String) throws -> AdapterPayload {
        if let baseModelID { try AdapterNameIsBaseModel.refuse(name, modelID: baseModelID, .serving) }
        if let record = try registry.record(named: name),
           let problem = compatibility.knownProblem(name: name, generation: record.generation) {
            throw AdapterUnavailable(name: name, reason: problem)
        }
        let stored: (configJSON: Data, weights: Data, sha256: String, generation: Int64)
        do { stored = try registry.load(named: name) } catch RegistryError.notFound {
            throw AdapterSourceError.unknownAdapter(name)
        }
        // A DoRA adapter's factors as computed when it was validated against
        // this base (the loader checks them and computes any that do not fit).
        let factors = compatibility.storedFactors(name: name, generation: stored.generation)
        return AdapterPayload(name: name, configJSON: stored.configJSON, weights: stored.weights,
                              version: stored.generation, doraFactors: factors)
    }
}
