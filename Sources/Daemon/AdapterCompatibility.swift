import Foundation
import Llama
import LoRA
import Registry
import Serving
import Synchronization

/// Which stored adapters can be served on the loaded base model, checked
/// lazily so start-up costs the same at 10 or 10,000 adapters.
///
/// An adapter version is checked (loaded and validated exactly as an upload
/// is) the first time it is used, and the outcome is stored in the registry
/// with the base's fingerprint (`fingerprint(configJSON:shapes:identity:)`).
/// A restart on the same base trusts the stored outcomes; a restart on a
/// changed base (another fingerprint) checks each adapter again on its first
/// use. An upload stores its outcome when it is committed.
public final class AdapterCompatibility: Sendable {
    public enum Status: Sendable, Equatable {
        case compatible
        case incompatible(String)
        /// Not checked against this base yet: it will be on first use.
        case unchecked
    }

    public let registry: AdapterRegistry
    /// The loaded base's fingerprint, stored with every outcome.
    public let baseFingerprint: String
    /// The resident base (DoRA factors are validated against its weights).
    private let base: LlamaWeights
    private let identity: BaseModelIdentity?
    /// Outcomes learnt by this process: name → (generation, problem). They
    /// are valid before their registry write (which runs on `writes`) lands.
    private let known = Mutex<[String: (generation: Int64, problem: String?)]>([:])
    /// Registry writes of outcomes (and of DoRA factors computed on a
    /// reload), off the request's path and in order.
    let writes = DispatchQueue(label: "lorad-adapter-checks")
    /// `factorsFingerprint`, once computed: nil inside until then, and
    /// `.some(nil)` if the base's values could not be read.
    private let factorsKey = Mutex<String??>(nil)
    /// Computes `factorsKey` once, off the caller's thread (at init when the
    /// registry holds a DoRA adapter).
    private let factorsKeyQueue = DispatchQueue(label: "lorad-dora-factors-key")

    public init(registry: AdapterRegistry, base: LlamaWeights, identity: BaseModelIdentity?,
                baseFingerprint: String) {
        self.registry = registry
        self.base = base
        self.identity = identity
        self.baseFingerprint = baseFingerprint
        // One pass over every linear's values (hundreds of MB for a small
        // model, GBs for a large one): started now when the registry holds a
        // DoRA adapter (or cannot say), so its first load rarely waits for
        // it. Without one the pass waits for the first DoRA upload or
        // load, instead of taking a core from start-up's first requests.
        if (try? registry.holdsDoRAAdapter()) != false {
            factorsKeyQueue.async { [self] in _ = computeFactorsKey() }
        }
    }

    /// Whether the key has been computed (tests: when start-up takes it).
    var factorsKeyIsKnown: Bool {
        factorsKeyQueue.sync {}   // a pass already started finishes first
        return factorsKey.withLock { $0 } != nil
    }

    /// The key this base's stored DoRA factors go under
    /// (`factorsFingerprint(validation:weightsFormat:valuesDigest:)`); nil
    /// when the base's values cannot be read (then factors are neither
    /// stored nor reused). Waits for the digest on first use.
    public var factorsFingerprint: String? {
        if let known = factorsKey.withLock({ $0 }) { return known }
        return factorsKeyQueue.sync { computeFactorsKey() }
    }

    /// Runs on `factorsKeyQueue` only, so the digest is taken once.
    private func computeFactorsKey() -> String? {
        if let known = factorsKey.withLock({ $0 }) { return known }
        let key = (try? Self.valuesDigest(of: base)).map {
            Self.factorsFingerprint(validation: baseFingerprint, weightsFormat: base.format.rawValue, valuesDigest: $0)
        }
        factorsKey.withLock { $0 = .some(key) }
        return key
    }

    /// The status of `record`'s version, given its stored check (nil when
    /// the registry has none for that version).
    public func status(of record: AdapterRecord, stored: AdapterCheck?) -> Status {
        if let entry = known.withLock({ $0[record.name] }), entry.generation == record.generation {
            return entry.problem.map(Status.incompatible) ?? .compatible
        }
        guard let stored, stored.generation == record.generation, stored.baseFingerprint == baseFingerprint else {
            return .unchecked
        }
        return stored.problem.map(Status.incompatible) ?? .compatible
    }

    /// The status of `record`'s version, checking it now if it never was
    /// against this base (`GET /adapters/NAME` answers with a verdict).
    public func checkedStatus(of record: AdapterRecord) throws -> Status {
        let current = status(of: record, stored: try registry.check(named: record.name))
        guard current == .unchecked else { return current }
        let stored: (configJSON: Data, weights: Data, sha256: String, generation: Int64)
        do { stored = try registry.load(named: record.name) } catch RegistryError.notFound {
            return .unchecked   // deleted meanwhile
        }
        var problem: String?
        do {
            let factors = storedFactors(name: record.name, generation: stored.generation)
            let loaded = try AdapterLoader.load(name: record.name, configJSON: stored.configJSON,
                                                safetensors: stored.weights, base: base, identity: identity,
                                                storedFactors: factors)
            keepFactors(of: loaded.adapter, name: record.name, generation: stored.generation, stored: factors)
        } catch {
            problem = String(describing: error)
        }
        remember(name: record.name, generation: stored.generation, problem: problem)
        return stored.generation == record.generation ? problem.map(Status.incompatible) ?? .compatible : .unchecked
    }

    /// Why version `generation` of `name` cannot be served, if that is
    /// already known (from this process or the registry); nil otherwise.
    public func knownProblem(name: String, generation: Int64) -> String? {
        if let entry = known.withLock({ $0[name] }), entry.generation == generation { return entry.problem }
        guard let stored = try? registry.check(named: name), stored.generation == generation,
              stored.baseFingerprint == baseFingerprint else { return nil }
        return stored.problem
    }

    /// Keeps the outcome of checking version `generation` of `name`: at once
    /// for this process, and in the registry as soon as its writer is free
    /// (a write for a version replaced meanwhile stores nothing).
    public func remember(name: String, generation: Int64, problem: String?) {
        known.withLock { $0[name] = (generation, problem) }
        let registry = registry, fingerprint = baseFingerprint
        writes.async {
            _ = try? registry.storeCheck(named: name, generation: generation, baseFingerprint: fingerprint,
                                         problem: problem)
        }
    }

    /// Waits until every outcome handed to `remember` is in the registry
    /// (before it is closed).
    public func flush() {
        writes.sync {}
    }

    /// Forgets `name` (deleted): the registry's outcome goes with its row.
    public func forget(_ name: String) {
        _ = known.withLock { $0.removeValue(forKey: name) }
    }

    /// Wraps the cache's loader so a version's first load is its check: the
    /// outcome is remembered, and a failure is refused as incompatible
    /// (422), as it would be on every later use.
    public func checkingLoader(_ load: @escaping AdapterCache.Loader) -> AdapterCache.Loader {
        { [self] payload in
            if let adapter = payload.preloaded {
                // Validated by whoever built the payload (a folder import).
                if let version = payload.version { remember(name: payload.name, generation: version, problem: nil) }
                return adapter
            }
            do {
                let adapter = try load(payload)
                if let version = payload.version {
                    remember(name: payload.name, generation: version, problem: nil)
                    keepFactors(of: adapter, name: payload.name, generation: version, stored: payload.doraFactors)
                }
                return adapter
            } catch {
                let reason = String(describing: error)
                if let version = payload.version { remember(name: payload.name, generation: version, problem: reason) }
                throw AdapterUnavailable(name: payload.name, reason: reason)
            }
        }
    }
}
