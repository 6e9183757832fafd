import Foundation

/// The stored form of one adapter, as the registry (or a folder) hands it to
/// the engine: PEFT's two files, byte for byte, plus a content hash that
/// identifies this version (a replaced adapter has a different hash).
public struct AdapterPayload: Sendable {
    public let name: String
    /// `adapter_config.json`
    public let configJSON: Data
    /// `adapter_model.safetensors`
    public let weights: Data
    /// Identifies the version; the cache keys resident copies by (name, hash).
    public let contentHash: String

    public init(name: String, configJSON: Data, weights: Data, contentHash: String) {
        self.name = name
        self.configJSON = configJSON
        self.weights = weights
        self.contentHash = contentHash
    }
}

/// Where the engine gets adapters it does not hold yet. The SQLite registry
/// implements it in the daemon; tests and the offline CLI use folders.
public protocol AdapterSource: Sendable {
    /// The current version's hash, cheaply (no weights), or nil if unknown.
    func contentHash(of name: String) throws -> String?
    /// The full payload; throws `AdapterCacheError.unknownAdapter` if absent.
    func payload(of name: String) throws -> AdapterPayload
}
