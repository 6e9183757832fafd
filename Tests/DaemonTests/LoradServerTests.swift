import Foundation
import Glibc
import Synchronization
import Testing
import Registry
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

    /// A request still running when `drain_timeout_s` runs out is cut by us:
    /// its access line says 503 (not 499, a client that left), and one
    /// warning says the deadline was reached and how many requests it cut.
    @Test func aRequestCutAtTheDrainDeadlineIsLoggedAsTheServersDoing() async throws {
        let dir = try Fixtures.temporaryDirectory("lorad-server-cut")
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = Self.configuration(registryIn: dir)
        configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
        configuration.drainTimeoutSeconds = 0.3
        // Under a loaded test run this test's task may wait a long time for
        // a thread; the body's own timeout (408) must not end it first.
        configuration.bodyTimeoutSeconds = 3600
        let lines = Mutex<[String]>([])
        let server = try LoradServer(configuration: configuration,
                                     logger: Logger(level: .info, style: .plain) { line in lines.withLock { $0.append(line) } })
        let address = try #require(try server.bind().first)
        _ = try server.load()
        // A completion whose body stops half way: its handler waits for the rest.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let head = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"prompt\":"
        #expect(head.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } == head.utf8.count)
        try await Task.sleep(for: .milliseconds(200))  // the exchange is under way

        await server.shutdown()
        let logged = lines.withLock { $0 }
        let access = logged.filter { $0.contains("path=/v1/completions") }
        #expect(access.count == 1 && access[0].contains("status=503"), "\(access)")
        #expect(logged.contains { $0.contains("drain deadline reached") && $0.contains("cut=1") }, "\(logged)")
    }

    /// The registry file renamed away while the daemon runs: within seconds,
    /// with no write attempted, one warning says so and what it held is in
    /// the moved file, with no WAL of it left under the path (a crash now
    /// would otherwise leave it for the next start to apply to a new file).
    @Test func aRegistryRenamedWhileServingIsNoticedAndItsRowsGoWithIt() async throws {
        let dir = try Fixtures.temporaryDirectory("lorad-server-moved")
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = Self.configuration(registryIn: dir)
        configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
        let lines = Mutex<[String]>([])
        let server = try LoradServer(configuration: configuration,
                                     logger: Logger(level: .info, style: .plain) { line in lines.withLock { $0.append(line) } })
        let address = try #require(try server.bind().first)
        _ = try server.load()
        let folder = Fixtures.adapter("python-qv-r8")
        let up = try Curl.upload("http://\(address)", name: "kept", config: folder.appendingPathComponent("adapter_config.json"),
                                 weights: folder.appendingPathComponent("adapter_model.safetensors"))
        #expect(up.status == 201)
        let path = configuration.registry, moved = dir.appendingPathComponent("moved.sqlite").path
        try FileManager.default.moveItem(atPath: path, toPath: moved)
        let deadline = Date().addingTimeInterval(30)
        while !lines.withLock({ $0.contains { $0.contains("registry file was deleted, renamed or replaced") } }), Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(lines.withLock { $0.filter { $0.contains("registry file was deleted, renamed or replaced") }.count } == 1)
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "\(wal) bytes of the moved file's rows still under the path")
        let copy = try AdapterRegistry(path: moved)
        #expect(try copy.list().map(\.name) == ["kept"])
        copy.close()
        await server.shutdown()
    }
}
