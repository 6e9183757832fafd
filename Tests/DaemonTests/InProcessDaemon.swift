import Foundation
import Testing
import TestSupport
@testable import Daemon

/// A daemon in this process on 127.0.0.1:0 over tiny-llama with a registry
/// of its own, for tests that reach inside it (its `RequestSeams`, its
/// cache) while talking to it over HTTP. Its blocking helpers are meant for
/// a body run off the cooperative pool (`OffCooperativePool`).
final class InProcessDaemon: Sendable {
    let server: LoradServer
    let service: LoadedModel
    let base: String
    /// The registry's folder, also for files a test writes (templates).
    let directory: URL

    init(_ label: String, configure: (inout Configuration) -> Void = { _ in }) throws {
        directory = try Fixtures.temporaryDirectory(label)
        var configuration = Configuration()
        configuration.model = Fixtures.tinyLlama.path
        configuration.registry = directory.appendingPathComponent("registry.sqlite").path
        configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
        configuration.threads = 1
        configure(&configuration)
        server = try LoradServer(configuration: configuration, logger: Logger(level: .error, style: .plain) { _ in })
        let address = try #require(try server.bind().first)
        base = "http://\(address)"
        service = try server.load()
    }

    /// Shuts the daemon down, blocking, and removes its folder.
    func stop() {
        let done = DispatchSemaphore(value: 0)
        Task { [server] in await server.shutdown(); done.signal() }
        done.wait()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `POST /adapters` of fixture `fixture` as `name`, with `template` as
    /// its own chat template when given.
    func upload(_ fixture: String, as name: String, template: String? = nil, replace: Bool = false) throws -> Curl.Response {
        let folder = Fixtures.adapter(fixture)
        var extra: [String] = []
        if let template {
            let file = directory.appendingPathComponent("\(name)-\(UUID().uuidString).jinja")
            try Data(template.utf8).write(to: file)
            extra = ["-F", "chat_template=@\(file.path)"]
        }
        return try Curl.upload(base, name: name, config: folder.appendingPathComponent("adapter_config.json"),
                               weights: folder.appendingPathComponent("adapter_model.safetensors"), replace: replace,
                               extra: extra)
    }

    /// What a replace commits (`AdapterImport.store` without its lock):
    /// fixture `fixture` stored over `name` with `template`, then (unless
    /// `invalidating` is false: the replace's task has not run on yet) the
    /// cached copy invalidated. Synchronous, so a `RequestSeams` hook can run it.
    func replaceNow(_ name: String, with fixture: String, template: String?, invalidating: Bool = true) throws {
        let folder = Fixtures.adapter(fixture)
        let config = try Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))
        let weights = try Data(contentsOf: folder.appendingPathComponent("adapter_model.safetensors"))
        var new = try AdapterImport.validate(name: name, config: config, weights: weights, base: service.base,
                                             identity: service.baseIdentity, modelID: service.modelID,
                                             compatibility: service.compatibility)
        new.chatTemplate = template
        let record = try service.registry.insert(new, weights: .data(weights), replace: true)
        if invalidating { service.cache.invalidate(name) }
        service.compatibility.remember(name: name, generation: record.generation, problem: nil)
    }
}
