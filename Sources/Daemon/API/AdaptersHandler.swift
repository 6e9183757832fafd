import Foundation
import HTTP1
import Registry

/// `GET /adapters`, `GET /adapters/NAME`, `DELETE /adapters/NAME`
/// (uploads: `AdapterUploadHandler`).
struct AdaptersHandler {
    let service: LoadedModel

    func list(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let registry = service.registry
        let items = try await BlockingWork.run { try registry.list() }.map { AdapterResource(record: $0, service: service) }
        try await response.sendAPI(.ok, ListEnvelope(data: items))
    }

    func get(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireInference(request)
        let name = request.parameter("name") ?? ""
        try AdapterRegistry.validateName(name)
        let registry = service.registry
        guard let record = try await BlockingWork.run({ try registry.record(named: name) }) else { throw RegistryError.notFound(name) }
        try await response.sendAPI(.ok, AdapterResource(record: record, service: service))
    }

    /// Requests already running with the adapter keep their leased copy and
    /// finish normally; new requests get 404.
    func delete(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireAdmin(request)
        let name = request.parameter("name") ?? ""
        try AdapterRegistry.validateName(name)
        let registry = service.registry
        let running = try await service.adapterChanges.run { [service] in
            if try await BlockingWork.run({ try registry.record(named: name) }) != nil {
                try await LiveMergeHandler.unmergeIfMerged(name, service: service)
            }
            guard try await BlockingWork.run({ try registry.delete(named: name) }) else { throw RegistryError.notFound(name) }
            // Requests holding the deleted version now; they finish with it.
            let running = service.cache.leaseCount(name)
            service.cache.invalidate(name)
            service.compatibility.clear(name)
            return running
        }
        service.logger.info("adapter deleted", ["adapter": name])
        try await response.sendAPI(.ok, Deleted(id: name, in_flight: running))
    }

    struct Deleted: Codable, Sendable, Equatable {
        var id: String
        var object = "adapter"
        var deleted = true
        /// Requests still running with the deleted version (they finish normally).
        var in_flight: Int
    }
}
