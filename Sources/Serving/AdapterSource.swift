import LoRA
import Foundation

/// The stored form of one adapter, as the registry (or a folder) hands it to
/// the engine: PEFT's two files, byte for byte.
public struct AdapterPayload: Sendable {
    public let name: String
    /// `adapter_config.json`
    public let configJSON: Data
    /// `adapter_model.safetensors`
    public let weights: Data
    /// Which stored version this is, when the source keeps versions (the
    /// registry's generation), so what is learnt while loading it (that it
    /// fails validation) can be kept for that version only.
    public let version: Int64?
    /// The adapter already loaded from these files, when the source had to
    /// validate them anyway (an import): the loader returns it instead of
    /// loading the same bytes a second time.
    public let preloaded: LoRAAdapter?
    /// A DoRA adapter's factors kept from an earlier load against this
    /// base, which the loader uses where they fit instead of computing them.
    public let doraFactors: DoRAFactorTable?

    public init(name: String, configJSON: Data, weights: Data, version: Int64? = nil, preloaded: LoRAAdapter? = nil,
                doraFactors: DoRAFactorTable? = nil) {
        self.name = name
        self.configJSON = configJSON
        self.weights = weights
        self.version = version
        self.preloaded = preloaded
        self.doraFactors = doraFactors
    }
}

/// Where the engine gets adapters it does not hold yet. The SQLite registry
/// implements it in the daemon; tests and the offline CLI use folders.
///
/// `AdapterCache` asks only on a miss; a resident adapter is served without a
/// call here, so a source whose adapters change (delete, replace) must have
/// the cache `invalidate` the name.
public protocol AdapterSource: Sendable {
    /// The current version's payload; throws `AdapterSourceError.unknownAdapter`
    /// for a name the source does not hold.
    func payload(of name: String) throws -> AdapterPayload
}

public enum AdapterSourceError: Error, CustomStringConvertible, Equatable {
    case unknownAdapter(String)
    /// A file of the adapter cannot be read; `problem` names it and says why.
    case unreadable(name: String, problem: String)

    public var description: String {
        switch self {
        case .unknownAdapter(let n): return "unknown adapter '\(n)'"
        case let .unreadable(n, problem): return "adapter '\(n)': \(problem)"
        }
    }
}
