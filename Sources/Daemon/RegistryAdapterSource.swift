import Foundation
import Registry
import Serving

/// The engine's adapter source over the SQLite registry: the payload is the
/// stored config text and safetensors bytes. The cache asks only on a miss;
/// the handlers that delete or replace an adapter invalidate its cached copy.
///
/// Adapters found incompatible with the loaded base at start-up are refused
/// here (`AdapterCompatibility`), so they are never silently served.
public struct RegistryAdapterSource: AdapterSource {
    public let registry: AdapterRegistry
    public let compatibility: AdapterCompatibility

    public init(registry: AdapterRegistry, compatibility: AdapterCompatibility) {
        self.registry = registry
        self.compatibility = compatibility
    }

    public func payload(of name: String) throws -> AdapterPayload {
        let stored: (configJSON: Data, weights: Data, sha256: String, generation: Int64)
        do { stored = try registry.load(named: name) } catch RegistryError.notFound {
            throw AdapterSourceError.unknownAdapter(name)
        }
        if let problem = compatibility.problem(name: name, sha256: stored.sha256) {
            throw AdapterUnavailable(name: name, reason: problem)
        }
        return AdapterPayload(name: name, configJSON: stored.configJSON, weights: stored.weights)
    }
}
