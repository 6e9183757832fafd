import Foundation
import Registry

/// An adapter's metadata as `GET /adapters[/NAME]` and `POST /adapters` show it.
public struct AdapterResource: Codable, Sendable, Equatable {
    public var id: String
    public var object: String = "adapter"
    public var name: String
    /// Distinct ranks (one unless `rank_pattern` is used).
    public var ranks: [Int]
    public var alpha: Double?
    public var scale: Double?
    public var target_modules: [String]
    /// A DoRA adapter (PEFT `use_dora`): per-row factor on top of its low-rank term.
    public var dora: Bool
    /// Size of the stored safetensors file.
    public var bytes: Int64
    public var sha256: String
    /// Unix seconds, and the same instant in ISO 8601.
    public var created: Int
    public var created_at: String
    public var base_model_id: String?
    /// Whether a decoded copy is in the adapter cache now.
    public var resident: Bool
    /// Running or queued requests holding the resident copy.
    public var in_flight: Int
    /// False when validation against the loaded base failed (the adapter
    /// is then refused, 422, until replaced or deleted); null when it has
    /// not been checked against this base yet (it is on first use).
    public var compatible: Bool?
    public var incompatibility: String?
    /// Only in a replace's response: requests that were running with the
    /// previous version (they finish with it).
    public var previous_in_flight: Int?
    /// Only in `GET /adapters/NAME`: the adapter's own chat template, or
    /// null when it renders with the base model's (`.some(nil)`).
    public var chat_template: String??

    public init(record: AdapterRecord, service: LoadedModel, status: AdapterCompatibility.Status) {
        id = record.name
        name = record.name
        ranks = record.ranks
        alpha = record.alpha
        scale = record.scale
        target_modules = record.targetModules
        dora = record.dora
        bytes = record.byteSize
        sha256 = record.sha256
        created = Int(record.createdAt.timeIntervalSince1970)
        created_at = Self.timestamp(record.createdAt)
        base_model_id = record.baseModelId
        resident = service.cache.isResident(record.name)
        in_flight = service.cache.leaseCount(record.name)
        switch (record.defect, status) {
        case (let defect?, _):
            incompatibility = "stored metadata is damaged: \(defect)"
            compatible = false
        case (nil, .incompatible(let reason)):
            incompatibility = reason
            compatible = false
        case (nil, .compatible):
            compatible = true
        case (nil, .unchecked):
            compatible = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(name, forKey: .name)
        try c.encode(ranks, forKey: .ranks)
        try c.encode(alpha, forKey: .alpha)
        try c.encode(scale, forKey: .scale)
        try c.encode(target_modules, forKey: .target_modules)
        try c.encode(dora, forKey: .dora)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(created, forKey: .created)
        try c.encode(created_at, forKey: .created_at)
        try c.encode(base_model_id, forKey: .base_model_id)
        try c.encode(resident, forKey: .resident)
        try c.encode(in_flight, forKey: .in_flight)
        try c.encode(compatible, forKey: .compatible)
        try c.encode(incompatibility, forKey: .incompatibility)
        try c.encodeIfPresent(previous_in_flight, forKey: .previous_in_flight)
        if let template = chat_template { try c.encode(template, forKey: .chat_template) }   // explicit null
    }
}
