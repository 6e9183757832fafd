import Foundation
import Llama
import LoRA
import Registry
import Synchronization

/// Which stored adapters fail validation against the loaded base model.
///
/// Filled at start-up by `revalidate` (every row is loaded and validated as
/// an upload would be; a base model swapped under an existing registry is the
/// usual cause) and kept per (name, sha256): a row replaced later by a valid
/// upload is no longer flagged.
public final class AdapterCompatibility: Sendable {
    private let problems = Mutex<[String: (sha256: String, reason: String)]>([:])

    public init() {}

    /// Validates every stored adapter against `base`; returns the incompatible
    /// ones (name → reason), which are also remembered.
    @discardableResult
    public func revalidate(registry: AdapterRegistry, base: some BaseLinears,
                           identity: BaseModelIdentity? = nil) throws -> [String: String] {
        var found: [String: (String, String)] = [:]
        for record in try registry.list() {
            do {
                let stored = try registry.load(named: record.name)
                _ = try AdapterLoader.load(name: record.name, configJSON: stored.configJSON,
                                           safetensors: stored.weights, base: base, identity: identity)
            } catch RegistryError.notFound {
                continue   // deleted meanwhile
            } catch {
                found[record.name] = (record.sha256, String(describing: error))
            }
        }
        problems.withLock { $0 = found }
        return found.mapValues(\.1)
    }

    /// Why the stored version `sha256` of `name` cannot be served, or nil.
    public func problem(name: String, sha256: String) -> String? {
        problems.withLock { p in
            guard let entry = p[name], entry.sha256 == sha256 else { return nil }
            return entry.reason
        }
    }

    /// Forgets `name` (deleted, or replaced by a validated upload).
    public func clear(_ name: String) {
        _ = problems.withLock { $0.removeValue(forKey: name) }
    }
}
