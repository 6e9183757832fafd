import Foundation
import HTTP1

/// `GET /health`: 200 `{"status": "ok", …}` while serving, 503 with
/// `"loading"` or `"draining"` otherwise (load balancers and systemd-less
/// supervisors poll it). Never behind auth.
enum HealthHandler {
    struct Body: Codable, Sendable, Equatable {
        var status: String
        var model: String?
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
            try await response.sendAPI(.ok, Body(status: "ok", model: service.modelID,
                                                 adapters: adapters,
                                                 queued: stats.queued, running: stats.running,
                                                 merged: service.engine.liveMerged?.description))
        }
    }
}
