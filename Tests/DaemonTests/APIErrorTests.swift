import Foundation
import HTTP1
import LoRA
import Registry
import Serving
import Testing
@testable import Daemon

/// Every error kind maps to its documented status (`APIError`) and renders in
/// the `{"error": …}` shape.
struct APIErrorTests {
    @Test func errorsMapToTheStatusesTheContractNames() {
        let cases: [(any Error, Int)] = [
            (EngineError.overloaded(queued: 4, retryAfterSeconds: 2), 503),
            (EngineError.promptTooLong(tokens: 600, contextLength: 512), 400),
            (EngineError.invalidParameter(name: "top_p", reason: "bad"), 400),
            (EngineError.shuttingDown, 503),
            (AdapterError.invalidConfigJSON(reason: "x"), 400),
            (AdapterError.unreadableWeights(reason: "truncated"), 400),
            (AdapterError.shapeMismatch(tensor: "t", found: [1], expected: [2], reason: "r"), 422),
            (AdapterError.unsupportedFeature(field: "use_dora", value: "true", reason: "r"), 422),
            (AdapterError.rankMismatch(tensor: "t", found: 4, configured: 8, module: "m"), 422),
            (RegistryError.alreadyExists("a"), 409),
            (RegistryError.full(path: "/r", context: "COMMIT"), 507),
            (RegistryError.notFound("a"), 404),
            (RegistryError.invalidName("../x", reason: "r"), 400),
            (AdapterSourceError.unknownAdapter("a"), 404),
            (AdapterUnavailable(name: "a", reason: "r"), 422),
            (AdapterSpecError.invalidName("!", spec: "!"), 400),
            (HTTPError(.contentTooLarge, "big"), 413),
            (GenerationFailure.nonFiniteLogits(position: 3, adapters: "a"), 422),
            (GenerationFailure.kvCacheOverflow(position: 3, format: "f16", values: 2), 500),
            (RegistryError.busy(path: "r.sqlite", context: "executing BEGIN IMMEDIATE", waitedMilliseconds: 5000), 503),
            (RegistryError.sqlite(code: 275, message: "CHECK constraint failed", context: "x"), 500),
            (AdapterNameIsBaseModel(name: "tiny-llama", use: .storing), 409),
            (AdapterNameIsBaseModel(name: "tiny-llama", use: .serving), 400),
        ]
        for (error, status) in cases {
            #expect(APIError.map(error).status.code == status, "\(error)")
        }
        let overloaded = APIError.map(EngineError.overloaded(queued: 4, retryAfterSeconds: 2))
        #expect(overloaded.headers["Retry-After"] == "2")
    }

    /// A registry another process keeps locked past the busy timeout is a
    /// transient condition: 503 with Retry-After, saying nothing changed.
    @Test func aBusyRegistryIsRetryableNotAServerBug() {
        let busy = APIError.map(RegistryError.busy(path: "r.sqlite", context: "executing BEGIN IMMEDIATE", waitedMilliseconds: 5000))
        #expect(busy.status.code == 503)
        #expect(busy.headers["Retry-After"] == "5")
        #expect(busy.type == "registry_busy")
        #expect(busy.message.contains("locked") && busy.message.contains("5000 ms") && busy.message.contains("nothing was changed"))
        #expect(MetricsBridge.rejectionReason(busy) == "registry_busy")
    }

    @Test func theRendererWritesTheErrorShape() throws {
        let (type, body) = APIError.renderer(HTTPError(.notFound, "no route for GET /x", type: "not_found"))
        #expect(type == "application/json")
        let decoded = try JSONDecoder().decode(APIErrorBody.self, from: Data(body))
        #expect(decoded.error == .init(message: "no route for GET /x", type: "not_found_error", code: 404))
        let untyped = try JSONDecoder().decode(APIErrorBody.self, from: Data(APIError.renderer(HTTPError(.unauthorized, "who")).body))
        #expect(untyped.error.type == "authentication_error")
        #expect(untyped.error.code == 401)
    }
}
