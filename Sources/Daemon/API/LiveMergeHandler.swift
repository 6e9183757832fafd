import Foundation
import HTTP1
import OrderedJSON
import Serving

/// `GET /merged`, `PUT /merged {"adapter": "NAME"}`, `DELETE /merged`: live
/// merge (DELETE, and only it, unmerges). The engine folds the mix into the
/// in-memory base between two steps (`Engine.liveMerge`), so no request sees a
/// half-merged model; other requests stay exact through the low-rank path,
/// and DELETE restores W0 bit for bit.
///
/// `?checksum=true` adds `"weights_checksum"`: FNV-1a over every model weight
/// (`LlamaWeights.checksum`), taken between engine steps — the hook the
/// end-to-end tests use to show DELETE restores the original weights exactly.
struct LiveMergeHandler {
    let service: LoadedModel

    struct Body: Codable, Sendable, Equatable {
        var object = "live_merge"
        /// The merged adapter spec (`NAME`, `a:0.7,b:0.3`), or nil for none.
        var adapter: String?
        /// 16 hex digits, only with `?checksum=true`.
        var weights_checksum: String?

        /// `"adapter": null` when nothing is merged (clients test the key);
        /// the checksum only when asked for.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(object, forKey: .object)
            try c.encode(adapter, forKey: .adapter)
            try c.encodeIfPresent(weights_checksum, forKey: .weights_checksum)
        }
    }

    func get(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireReader(request)
        try await response.sendAPI(.ok, try await body(request))
    }

    /// Returns the merged spec (for the access log).
    func put(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> String? {
        try service.auth.requireAdmin(request)
        let spec = try Self.spec(of: try await request.jsonBody())
        let engine = service.engine
        let body = try await service.adapterChanges.run { [service] in
            try await BlockingWork.compute { try engine.liveMerge(spec) }
            service.logger.info("adapter live-merged", ["adapter": spec.description])
            return try await self.body(request)
        }
        try await response.sendAPI(.ok, body)
        return body.adapter
    }

    /// The mix a `PUT /merged` body names: exactly `{"adapter": "SPEC"}`
    /// with a non-empty spec. Anything else is 400 naming the key, never an
    /// unmerge: a misspelt key (`adaptr`), the OpenAI-style `model`, `{}`,
    /// `""` or `null` once all unmerged silently, changing what every
    /// request is served with. Unmerging is `DELETE /merged`.
    static func spec(of put: JSONNode) throws -> AdapterSpec {
        let usage = "the body must be {\"adapter\": \"NAME\"} (or a mix \"a:0.7,b:0.3\"); to unmerge, send DELETE /merged"
        guard case .object = put.value else { throw APIError.badRequest("\(usage), not \(put.value.brief)") }
        if let unknown = try put.members().first(where: { $0.key != "adapter" })?.key {
            throw APIError.badRequest("unknown key \(JSONValue.string(unknown).brief) in the PUT /merged body: \(usage)")
        }
        guard let field = put.value["adapter"] else { throw APIError.badRequest("the key `adapter` is missing: \(usage)") }
        guard case .string(let text) = field else {
            throw APIError.badRequest("`adapter` is \(field.brief), not an adapter spec: \(usage)")
        }
        guard !text.isEmpty else { throw APIError.badRequest("`adapter` is empty: \(usage)") }
        let spec = try AdapterSpec(parsing: text)
        guard !spec.isBase else { throw APIError.badRequest("`adapter` names no adapter: \(usage)") }
        return spec
    }

    func delete(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireAdmin(request)
        let engine = service.engine
        let body = try await service.adapterChanges.run { [service] in
            let previous = engine.liveMerged
            try await BlockingWork.compute { try engine.liveUnmerge() }
            if let previous { service.logger.info("adapter live-unmerged", ["adapter": previous.description]) }
            return try await self.body(request)
        }
        try await response.sendAPI(.ok, body)
    }

    private func body(_ request: HTTPRequest) async throws -> Body {
        var body = Body(adapter: service.engine.liveMerged?.description)
        if let flag = request.query("checksum"), ["1", "true", "yes"].contains(flag.lowercased()) {
            // Hashing every weight pauses the engine for a moment: an admin tool.
            try service.auth.requireAdmin(request)
            let engine = service.engine
            let sum = try await BlockingWork.compute { try engine.betweenSteps { engine.model.weights.checksum() } }
            body.weights_checksum = String(sum, radix: 16).leftPadded(to: 16)
        }
        return body
    }

    /// Unmerges first when `name` is part of the live-merged mix: deleting or
    /// replacing the merged adapter must not leave its old delta in the base.
    static func unmergeIfMerged(_ name: String, service: LoadedModel) async throws {
        let engine = service.engine
        guard let merged = engine.liveMerged, merged.terms.contains(where: { $0.name == name }) else { return }
        try await BlockingWork.compute { try engine.liveUnmerge() }
        service.logger.info("adapter live-unmerged before it changes", ["adapter": merged.description])
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
