import Foundation

/// One stored adapter's metadata (everything but the config text and weights).
public struct AdapterRecord: Sendable, Equatable, Hashable {
    /// Row id (SQLite may reuse it after a delete; use `generation` to tell versions apart).
    public let id: Int64
    public let name: String
    /// SHA-256 of the safetensors bytes, 64 lowercase hex digits.
    public let sha256: String
    /// Size of the safetensors bytes.
    public let byteSize: Int64
    public let ranks: [Int]
    public let alpha: Double?
    public let scale: Double?
    public let targetModules: [String]
    /// Whether it is a DoRA adapter (PEFT `use_dora`).
    public let dora: Bool
    public let baseModelId: String?
    /// When this version was stored (millisecond precision).
    public let createdAt: Date
    /// Registry-wide counter, strictly increasing with every insert or replace
    /// and never reused (not even after delete + re-upload of the same name),
    /// so (name, generation) identifies one version for caches.
    public let generation: Int64
    /// Why this row's metadata could not be read as written (a column that is
    /// not valid JSON, a non-finite alpha or scale left by an older version),
    /// or nil. A listing shows such a row with its defect instead of failing
    /// as a whole; its metadata fields then hold neutral values.
    public let defect: String?

    /// Memberwise; the registry builds records from its rows.
    public init(id: Int64, name: String, sha256: String, byteSize: Int64, ranks: [Int],
                alpha: Double?, scale: Double?, targetModules: [String], dora: Bool = false, baseModelId: String?,
                createdAt: Date, generation: Int64, defect: String? = nil) {
        self.id = id
        self.name = name
        self.sha256 = sha256
        self.byteSize = byteSize
        self.ranks = ranks
        self.alpha = alpha
        self.scale = scale
        self.targetModules = targetModules
        self.dora = dora
        self.baseModelId = baseModelId
        self.createdAt = createdAt
        self.generation = generation
        self.defect = defect
    }
}
