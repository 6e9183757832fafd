import Foundation
import HTTP1
import Registry

/// `GET /adapters`, `GET /adapters/NAME`, `DELETE /adapters/NAME` (a hub id
/// `ORG/NAME` as two path segments or as one with `%2F`)
/// (uploads: `AdapterUploadHandler`).
struct AdaptersHandler {
    let service: LoadedModel

    /// Ordered by name; `?limit=N&after=NAME` pages (`has_more`, `last_id`
    /// give the next `after`), without `limit` everything after `after`.
    /// `compatible` is the stored outcome (null: not checked yet).
    func list(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireReader(request)
        let query = try PageQuery(request)
        let registry = service.registry, compatibility = service.compatibility
        let (records, hasMore, checks) = try await BlockingWork.run {
            let page = try registry.page(after: query.after, limit: query.limit ?? PageQuery.unlimited)
            guard let first = page.records.first?.name, let last = page.records.last?.name else {
                return (page.records, page.hasMore, [String: AdapterCheck]())
            }
            return (page.records, page.hasMore, try registry.checks(from: first, through: last))
        }
        let items = records.map {
            AdapterResource(record: $0, service: service,
                            status: service.baseNameStatus($0.name) ?? compatibility.status(of: $0, stored: checks[$0.name]))
        }
        try await response.sendAPI(.ok, PageEnvelope(data: items, hasMore: hasMore, id: \.id))
    }

    func get(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireReader(request)
        let name = request.adapterNameParameter
        try AdapterRegistry.validateName(name)
        let registry = service.registry
        let compatibility = service.compatibility
        let shadowing = service.baseNameStatus(name)
        let found = try await BlockingWork.compute { () -> (AdapterRecord, AdapterCompatibility.Status, String?)? in
            guard let record = try registry.record(named: name) else { return nil }
            return (record, try shadowing ?? compatibility.checkedStatus(of: record),
                    try registry.chatTemplate(named: name)?.template)
        }
        guard let (record, status, template) = found else {
            // `GET /adapters/NAME/merge` reads as the hub id `NAME/merge`.
            if name.hasSuffix("/merge") {
                let adapter = name.dropLast("/merge".count)
                throw APIError.notFound("no adapter named '\(name)'; a merge of '\(adapter)' is downloaded with "
                    + "POST /adapters/\(adapter)/merge")
            }
            throw RegistryError.notFound(name)
        }
        var resource = AdapterResource(record: record, service: service, status: status)
        resource.chat_template = .some(template)
        try await response.sendAPI(.ok, resource)
    }

    /// Requests already running with the adapter keep their leased copy and
    /// finish normally; new requests get 404.
    func delete(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireAdmin(request)
        let name = request.adapterNameParameter
        let running = try await Self.remove(name, service: service)
        try await response.sendAPI(.ok, Deleted(id: name, in_flight: running))
    }

    /// Deletes `name` (taking it out of a live merge first); returns how
    /// many requests still run with the deleted version.
    /// - Throws: `RegistryError.invalidName`, `.notFound`.
    static func remove(_ name: String, service: LoadedModel) async throws -> Int {
        try AdapterRegistry.validateName(name)
        let registry = service.registry
        let running = try await service.adapterChanges.run { [service] in
            // A folder import served but not stored yet is deleted too: its
            // row is then never written (or, if its write already began,
            // written first and deleted here).
            let withdrawn = service.folderImports?.withdraw(name) ?? false
            let stored = try await BlockingWork.run { try registry.record(named: name) } != nil
            if withdrawn || stored {
                try await LiveMergeHandler.unmergeIfMerged(name, service: service)
            }
            let deleted = try await BlockingWork.run { try registry.delete(named: name) }
            guard deleted || withdrawn else { throw RegistryError.notFound(name) }
            // Requests holding the deleted version now; they finish with it.
            let running = service.cache.leaseCount(name)
            service.cache.invalidate(name)
            service.compatibility.forget(name)
            return running
        }
        service.logger.info("adapter deleted", ["adapter": name])
        return running
    }

    struct Deleted: Codable, Sendable, Equatable {
        var id: String
        var object = "adapter"
        var deleted = true
        /// Requests still running with the deleted version (they finish normally).
        var in_flight: Int
    }
}
