import Foundation
import HTTP1

/// `GET /health`: 200 `{"status": "ok", …}` while serving, 503 with
/// `"loading"` or `"draining"` otherwise (load balancers and systemd-less
/// supervisors poll it). Never behind auth.
enum HealthHandler {
    struct Body: Codable, Sendable, Equatable {
        var status: String
        var model: String?
        /// How the base model's matrices are resident (`f32`, `bf16`, `f16`)
        /// and the bytes all its weights take.
        var weights_dtype: String?
        var resident_bytes: Int?
        /// How cached keys and values are held (`kv_dtype`) and the bytes one
        /// token's position costs in every layer: what `kv_cache_mb` is spent in.
        var kv_dtype: String?
        var kv_bytes_per_token: Int?
        var adapters: Int?
        var queued: Int?
        var running: Int?
        /// The live-merged adapter spec (`PUT /merged`), absent when none.
        var merged: String?
    }

    static func respond(_ state: LoradServer.Phase, _ response: HTTPResponse) async throws {
        switch state {
        case .loading:
            try await response.sendAPI(.serviceUnavailable, Body(status: "loading"), headers: ["Retry-After": "1"])
        case .draining:
            try await response.sendAPI(.serviceUnavailable, Body(status: "draining"))
        case .serving(let service):
            let stats = service.engine.stats
            // A SQLite read: off the event loop, like every registry call.
            let registry = service.registry
            let adapters = try? await BlockingWork.run { try registry.count() }
            let weights = service.engine.model.weights
            try await response.sendAPI(.ok, Body(status: "ok", model: service.modelID,
                                                 weights_dtype: weights.format.rawValue,
                                                 resident_bytes: weights.residentBytes,
                                                 kv_dtype: service.engine.configuration.kvFormat.rawValue,
                                                 kv_bytes_per_token: service.engine.kvBytesPerPosition,
                                                 adapters: adapters,
                                                 queued: stats.queued, running: stats.running,
                                                 merged: service.engine.liveMerged?.description))
        }
    }
}
