import Foundation
import Testing
import TestSupport
@testable import Daemon

/// The assembly in-process: `/health` says `loading` (503) until the model is
/// loaded, every other endpoint answers 503 in the error shape meanwhile, and
/// shutdown closes the registry and ends in `draining`.
@Suite struct LoradServerTests {
    @Test func healthFollowsTheLoadingServingAndDrainingPhases() async throws {
        let dir = try Fixtures.temporaryDirectory("lorad-server")
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = Configuration()
        configuration.model = Fixtures.tinyLlama.path
        configuration.registry = dir.appendingPathComponent("registry.sqlite").path
        configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
        let server = try LoradServer(configuration: configuration, logger: Logger(level: .error, style: .plain) { _ in })
        let address = try #require(try server.bind().first)
        let base = "http://\(address)"

        let loading = try Curl.get(base + "/health")
        #expect(loading.status == 503)
        #expect(try loading.json()["status"] as? String == "loading")
        let early = try Curl.get(base + "/v1/models")
        #expect(early.status == 503)
        #expect(early.errorCode == 503)

        let service = try server.load()
        #expect(service.modelID == "tiny-llama")
        let serving = try Curl.get(base + "/health")
        #expect(serving.status == 200)
        #expect(try serving.json()["status"] as? String == "ok")
        #expect(try Curl.get(base + "/v1/models").status == 200)

        await server.shutdown()
        guard case .draining = server.currentPhase else {
            Issue.record("after shutdown the phase must be draining")
            return
        }
        #expect(throws: (any Error).self) { try service.registry.count() }
        #expect(try Curl.get(base + "/health").status == 0, "nothing listens any more")
    }
}
