import Foundation
import HTTP1
import AdapterNaming
import Registry

/// `GET /v1/models`: the base model and every registered adapter, in
/// OpenAI's list shape (`root`/`parent` as vLLM reports LoRA modules).
struct ModelsHandler {
    let service: LoadedModel

    struct Model: Codable, Sendable, Equatable {
        var id: String
        var object = "model"
        var created: Int
        var owned_by = "lorad"
        var root: String
        var parent: String?
        /// The base model only: how its matrices are resident and the bytes
        /// its weights take (absent on adapters).
        var weights_dtype: String? = nil
        var resident_bytes: Int? = nil

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(object, forKey: .object)
            try c.encode(created, forKey: .created)
            try c.encode(owned_by, forKey: .owned_by)
            try c.encode(root, forKey: .root)
            try c.encode(parent, forKey: .parent)
            try c.encodeIfPresent(weights_dtype, forKey: .weights_dtype)
            try c.encodeIfPresent(resident_bytes, forKey: .resident_bytes)
        }
    }

    /// `GET /v1/models/ID` (OpenAI's retrieve): the base model or one
    /// registered adapter, in the list's shape; 404 for anything else.
    func retrieve(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireReader(request)
        let id = request.adapterNameParameter
        if id == service.modelID { return try await response.sendAPI(.ok, baseModel()) }
        let registry = service.registry
        let record = AdapterName.brokenRule(id) == nil
            ? try await BlockingWork.run { try registry.record(named: id) } : nil
        guard let record else {
            throw APIError.notFound("model '\(id)' does not exist (GET /v1/models lists the base model and every adapter)")
        }
        try await response.sendAPI(.ok, adapterModel(record))
    }

    private func baseModel() -> Model {
        let weights = service.engine.model.weights
        return Model(id: service.modelID, created: service.created, root: service.modelID, parent: nil,
                     weights_dtype: weights.format.rawValue, resident_bytes: weights.residentBytes)
    }

    private func adapterModel(_ record: AdapterRecord) -> Model {
        Model(id: record.name, created: Int(record.createdAt.timeIntervalSince1970), root: service.modelID,
              parent: service.modelID)
    }

    /// The base model first, then the adapters by name (one named like the
    /// base is left out: never served); `?limit=N&after=ID`
    /// pages as `GET /adapters` does (`after` = the base's id starts at the
    /// first adapter).
    func list(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireReader(request)
        let query = try PageQuery(request)
        var models: [Model] = []
        if query.after == nil { models.append(baseModel()) }
        let after = query.after == service.modelID ? nil : query.after
        let room = (query.limit ?? PageQuery.unlimited) - models.count
        let registry = service.registry
        let page = room > 0 ? try await BlockingWork.run { try registry.page(after: after, limit: room) }
                            : (records: [], hasMore: try await BlockingWork.run { try registry.count() } > 0)
        // An adapter stored under the base's id is never served
        // (`AdapterNameIsBaseModel`): the id stands for the base alone.
        models += page.records.filter { $0.name != service.modelID }.map(adapterModel)
        try await response.sendAPI(.ok, PageEnvelope(data: models, hasMore: page.hasMore, id: \.id))
    }
}
