import Foundation
import Synchronization
import Testing
import Serving
import TestSupport
@testable import Daemon

/// The assembly in-process: `/health` says `loading` (503) until the model is
/// loaded, every other endpoint answers 503 in the error shape meanwhile, and
/// shutdown closes the registry and ends in `draining`.
@Suite struct LoradServerTests {
    /// Metrics labels are route templates with every parameter in braces,
    /// and the two spellings of an adapter's path share one label.
    @Test(arguments: [("/adapters/:name", "/adapters/{name}"), ("/adapters/:org/:name", "/adapters/{name}"),
                      ("/adapters/:name/merge/:file", "/adapters/{name}/merge/{file}"),
                      ("/adapters/:org/:name/merge/:file", "/adapters/{name}/merge/{file}"),
                      ("/v1/completions", "/v1/completions"), ("/", "/")])
    func endpointLabelsNameEveryParameterInBraces(pattern: String, label: String) {
        #expect(LoradServer.endpointLabel(pattern) == label)
    }

    /// The tiny model with a registry in `dir`.
    static func configuration(registryIn dir: URL) -> Configuration {
        var configuration = Configuration()
        configuration.model = Fixtures.tinyLlama.path
        configuration.registry = dir.appendingPathComponent("registry.sqlite").path
        return configuration
    }

    @Test func healthFollowsTheLoadingServingAndDrainingPhases() async throws {
        let dir = try Fixtures.temporaryDirectory("lorad-server")
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = Self.configuration(registryIn: dir)
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

    /// A stop asked for while the model loads ends the load at its next
    /// tensor (a large model would load in full first, past systemd's stop
    /// timeout), with the error `serve` takes for a stop, not a failure.
    @Test func aShutdownDuringTheLoadStopsItBeforeTheModelIsLoaded() async throws {
        let dir = try Fixtures.temporaryDirectory("lorad-server-stop")
        defer { try? FileManager.default.removeItem(at: dir) }
        let configuration = Self.configuration(registryIn: dir)
        let lines = Mutex<[String]>([])
        let server = try LoradServer(configuration: configuration,
                                     logger: Logger(level: .info, style: .plain) { line in lines.withLock { $0.append(line) } })
        await server.shutdown()
        #expect(throws: EngineError.shuttingDown) { try server.load() }
        #expect(!lines.withLock { $0 }.contains { $0.contains("model loaded") }, "\(lines.withLock { $0 })")
        #expect(!FileManager.default.fileExists(atPath: configuration.registry), "the registry was never opened")
    }

    /// `weights_dtype` decides how the base is resident; `/health`, the base
    /// entry of `/v1/models` (and the start-up log) say which and how many bytes.
    @Test func weightsDTypeDecidesTheResidentFormatThatHealthAndModelsReport() async throws {
        var reported: [String: (dtype: String, bytes: Int)] = [:]
        for dtype in ["auto", "bf16", "f16"] {
            let dir = try Fixtures.temporaryDirectory("lorad-server-dtype")
            defer { try? FileManager.default.removeItem(at: dir) }
            var configuration = Configuration()
            configuration.model = Fixtures.tinyLlama.path
            configuration.registry = dir.appendingPathComponent("registry.sqlite").path
            configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
            try configuration.apply(overrides: ["weights-dtype": [dtype]])
            let lines = Mutex<[String]>([])
            let server = try LoradServer(configuration: configuration,
                                         logger: Logger(level: .info, style: .plain) { line in lines.withLock { $0.append(line) } })
            let address = try #require(try server.bind().first)
            _ = try server.load()
            let health = try Curl.get("http://\(address)/health").json()
            let models = try #require(try Curl.get("http://\(address)/v1/models").json()["data"] as? [[String: Any]])
            let dtypeReported = try #require(health["weights_dtype"] as? String)
            let bytes = try #require(health["resident_bytes"] as? Int)
            #expect(models.first?["weights_dtype"] as? String == dtypeReported)
            #expect(models.first?["resident_bytes"] as? Int == bytes)
            #expect(models.dropFirst().allSatisfy { $0["weights_dtype"] == nil })
            let loaded = lines.withLock { $0.first { $0.contains("model loaded") } } ?? ""
            #expect(loaded.contains("weights_dtype=\(dtypeReported)") && loaded.contains("resident_bytes=\(bytes)"), "\(loaded)")
            reported[dtype] = (dtypeReported, bytes)
            await server.shutdown()
        }
        #expect(reported["auto"]?.dtype == "f32")   // tiny-llama is an F32 checkpoint
        #expect(reported["bf16"]?.dtype == "bf16")
        #expect(reported["f16"]?.dtype == "f16")
        let f32 = Double(reported["auto"]?.bytes ?? 0), bf16 = Double(reported["bf16"]?.bytes ?? 0)
        #expect(bf16 > 0 && bf16 <= 0.52 * f32, "BF16 \(bf16) bytes against F32 \(f32)")
        #expect(reported["f16"]?.bytes == reported["bf16"]?.bytes)
    }

    @Test func anUnknownWeightsDTypeIsRefusedNamingTheKey() throws {
        var configuration = Configuration()
        #expect(throws: ConfigError.self) { try configuration.apply(overrides: ["weights-dtype": ["fp8"]]) }
        #expect(configuration.weightsDType == nil)
    }
}
