import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Daemon

/// An adapter resolved from `adapter_dirs` is served before its registry row
/// is written (`FolderImportWrites`). With that write held back by the test
/// seam, the first completion is still answered, with the text of the same
/// adapter uploaded normally; a delete, an upload or `load_lora_adapter`
/// meanwhile wins cleanly; a restart finds the row.
@Suite(.serialized) struct FolderImportWritesTests {
    /// An in-process daemon on 127.0.0.1:0 over tiny-llama, reading `shared`.
    final class Daemon: Sendable {
        let server: LoradServer
        let service: LoadedModel
        let base: String
        let log = LogLines()

        /// What the daemon logged, line by line.
        final class LogLines: Sendable {
            let lines = Mutex<[String]>([])
        }

        init(registry: URL, shared: URL) throws {
            var configuration = Configuration()
            configuration.model = Fixtures.tinyLlama.path
            configuration.registry = registry.path
            configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
            configuration.adapterDirs = [shared.path]
            configuration.threads = 1
            let log = self.log
            server = try LoradServer(configuration: configuration,
                                     logger: Logger(level: .info, style: .plain) { line in log.lines.withLock { $0.append(line) } })
            let address = try #require(try server.bind().first)
            base = "http://\(address)"
            service = try server.load()
        }

        var writes: FolderImportWrites { get throws { try #require(service.folderImports) } }

        func count(_ message: String) -> Int { log.lines.withLock { $0.filter { $0.contains(message) }.count } }

        func complete(_ model: String) throws -> String? {
            let refs = try References.load()
            let r = try Curl.postJSON(base + "/v1/completions",
                                      ["prompt": refs.prompts[0].text, "max_tokens": 24, "temperature": 0, "model": model])
            guard r.status == 200, let json = try? r.json() else { return nil }
            return (json["choices"] as? [[String: Any]])?.first?["text"] as? String
        }

        /// Shuts the daemon down, blocking (the tests run off the cooperative pool).
        func stop() {
            let done = DispatchSemaphore(value: 0)
            Task { [server] in await server.shutdown(); done.signal() }
            done.wait()
        }
    }

    /// Holds each folder import's registry write just before its insert
    /// until `release()`; `reached()` waits until a write got there.
    final class Gate: Sendable {
        private let arrived = DispatchSemaphore(value: 0)
        private let opened = DispatchSemaphore(value: 0)

        func install(on writes: FolderImportWrites) {
            writes.beforeWrite.withLock { $0 = { [self] _ in arrived.signal(); opened.wait() } }
        }

        func reached() { arrived.wait() }
        func release() { opened.signal() }
    }

    static func place(_ fixture: String, as name: String, in dir: URL) throws {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in ["adapter_config.json", "adapter_model.safetensors"] {
            try FileManager.default.copyItem(at: Fixtures.adapter(fixture).appendingPathComponent(file),
                                             to: folder.appendingPathComponent(file))
        }
    }

    static func weights(_ fixture: String) throws -> Data {
        try Data(contentsOf: Fixtures.adapter(fixture).appendingPathComponent("adapter_model.safetensors"))
    }

    /// The transformers + PEFT text of fixture `fixture` on the first prompt.
    static func reference(_ fixture: String) throws -> String {
        let refs = try References.load()
        return try #require(refs.result(fixture, refs.prompts[0].name)).generated_text
    }

    /// Runs `body` (off the cooperative pool) with a daemon reading a shared
    /// folder that holds python-qv-r8 as `from-folder` and each fixture of
    /// `others` under its name, after a first completion of `from-folder`
    /// was answered with python-qv-r8's reference text while its row's
    /// write is held at the gate. The daemon is stopped afterwards.
    static func withHeldImport(_ label: String, others: [String: String] = [:],
                               _ body: (Daemon, Gate, URL) throws -> Void) async throws {
        try await OffCooperativePool.run {
            try withImportFolder(label) { dir, shared, registry in
                for (name, fixture) in others { try place(fixture, as: name, in: shared) }
                let daemon = try Daemon(registry: registry, shared: shared)
                let gate = Gate()
                // Released again in case the body failed early: the shutdown waits for the write.
                defer { gate.release(); daemon.stop() }
                try gate.install(on: daemon.writes)
                #expect(try daemon.complete("from-folder") == reference("python-qv-r8"))
                gate.reached()
                try body(daemon, gate, shared)
            }
        }
    }

    /// A temporary folder (removed after `body`) with `shared/from-folder`
    /// holding the python-qv-r8 fixture, and where its registry goes.
    static func withImportFolder(_ label: String, _ body: (_ dir: URL, _ shared: URL, _ registry: URL) throws -> Void) throws {
        let dir = try Fixtures.temporaryDirectory(label)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shared = dir.appendingPathComponent("shared")
        try place("python-qv-r8", as: "from-folder", in: shared)
        try body(dir, shared, dir.appendingPathComponent("registry.sqlite"))
    }

    @Test func theFirstCompletionIsAnsweredWhileTheRowWriteIsHeldBack() async throws {
        try await Self.withHeldImport("lorad-folder-import-held") { daemon, gate, _ in
            // Answered (above) while its row cannot be written yet, with the
            // text of the same adapter uploaded normally.
            let python = Fixtures.adapter("python-qv-r8")
            let uploaded = try Curl.upload(daemon.base, name: "uploaded", config: python.appendingPathComponent("adapter_config.json"),
                                           weights: python.appendingPathComponent("adapter_model.safetensors"))
            #expect(uploaded.status == 201, "\(uploaded.text)")
            let first = try Self.reference("python-qv-r8")
            #expect(try daemon.complete("uploaded") == first)
            #expect(try daemon.service.registry.record(named: "from-folder") == nil)
            #expect(try Curl.get(daemon.base + "/adapters/from-folder").status == 404, "listed once stored")
            #expect(try daemon.writes.pendingNames == ["from-folder"])
            // Evicted meanwhile: served from the pending import, not imported again.
            daemon.service.cache.invalidate("from-folder")
            #expect(try daemon.complete("from-folder") == first)
            #expect(try daemon.writes.stats.queued == 1)
            #expect(daemon.count("adapter imported from folder") == 1)
            #expect(daemon.count("stored in the registry") == 0)

            gate.release()
            try daemon.writes.drain()
            let stored = try #require(try daemon.service.registry.record(named: "from-folder"))
            #expect(try daemon.service.registry.load(named: "from-folder").weights == Self.weights("python-qv-r8"))
            let listed = try Curl.get(daemon.base + "/adapters/from-folder")
            #expect(listed.status == 200)
            #expect(try listed.json()["sha256"] as? String == stored.sha256)
            #expect(try listed.json()["compatible"] as? Bool == true, "\(listed.text)")
            #expect(daemon.count("stored in the registry") == 1)
            #expect(try daemon.writes.pendingNames.isEmpty)
            #expect(try daemon.complete("from-folder") == first)
        }
    }

    /// `DELETE /adapters/NAME` or `/v1/unload_lora_adapter` while the row's
    /// write is held: after the release the name is neither stored nor
    /// resident (the withdrawn write stored nothing).
    @Test(arguments: ["delete", "unload"])
    func aDeleteDuringTheHeldWriteLeavesNoRowBehind(_ how: String) async throws {
        try await Self.withHeldImport("lorad-folder-import-delete") { daemon, gate, _ in
            let deleted = how == "delete"
                ? try Curl.delete(daemon.base + "/adapters/from-folder")
                : try Curl.postJSON(daemon.base + "/v1/unload_lora_adapter", ["lora_name": "from-folder"])
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(!daemon.service.cache.isResident("from-folder"))
            gate.release()
            try daemon.writes.drain()
            #expect(try daemon.service.registry.record(named: "from-folder") == nil)
            #expect(!daemon.service.cache.isResident("from-folder"))
            let list = try Curl.get(daemon.base + "/adapters")
            #expect(list.status == 200 && !list.text.contains("from-folder"), "\(list.text)")
            #expect(try daemon.writes.stats.written == 0)
            #expect(daemon.count("withdrawn before it was stored") == 1)
            // Deleting again: nothing left by that name.
            #expect(try Curl.delete(daemon.base + "/adapters/from-folder").status == 404)
        }
    }

    /// An upload (no replace) or `load_lora_adapter` of the same name while
    /// the folder import's write is held is acknowledged, then served and
    /// stored; the folder's write stores nothing.
    @Test(arguments: ["upload", "load_lora_adapter"])
    func anUploadRacingTheHeldWriteIsWhatIsStoredAndServed(_ how: String) async throws {
        try await Self.withHeldImport("lorad-folder-import-upload", others: ["upper-source": "upper-all-r4"]) { daemon, gate, shared in
            let upper = Fixtures.adapter("upper-all-r4")
            let stored = how == "upload"
                ? try Curl.upload(daemon.base, name: "from-folder", config: upper.appendingPathComponent("adapter_config.json"),
                                  weights: upper.appendingPathComponent("adapter_model.safetensors"))
                : try Curl.postJSON(daemon.base + "/v1/load_lora_adapter",
                                    ["lora_name": "from-folder", "lora_path": shared.appendingPathComponent("upper-source").path])
            #expect(stored.status == (how == "upload" ? 201 : 200), "\(stored.text)")
            let upperText = try Self.reference("upper-all-r4")
            #expect(try daemon.complete("from-folder") == upperText)
            gate.release()
            try daemon.writes.drain()
            #expect(try daemon.service.registry.load(named: "from-folder").weights == Self.weights("upper-all-r4"))
            #expect(try daemon.complete("from-folder") == upperText)
            #expect(try daemon.writes.stats.written == 0)
            // Called off by the upload, not refused by the registry afterwards.
            #expect(daemon.count("withdrawn before it was stored") == 1)
            #expect(daemon.count("the registry got that name meanwhile") == 0)
        }
    }

    /// After the row is written, a restart serves the adapter from the
    /// registry alone (its folder removed) with the same text, importing
    /// nothing.
    @Test func aRestartAfterTheImportServesTheStoredRow() async throws {
        try await OffCooperativePool.run {
            try Self.withImportFolder("lorad-folder-import-restart") { _, shared, registry in
                let daemon = try Daemon(registry: registry, shared: shared)
                let first = try #require(try daemon.complete("from-folder"))
                daemon.stop()
                #expect(daemon.count("stored in the registry") == 1, "the shutdown waits for the write")

                try FileManager.default.removeItem(at: shared.appendingPathComponent("from-folder"))
                let again = try Daemon(registry: registry, shared: shared)
                #expect(try again.complete("from-folder") == first)
                #expect(again.count("adapter imported from folder") == 0)
                again.stop()
            }
        }
    }

    /// A row write that fails (here: another process keeps the registry
    /// locked past the busy timeout) is logged and counted, and the served
    /// copy is dropped instead of living on in memory unlisted and
    /// undeletable: the next request imports the folder again, and that
    /// write stores the row.
    @Test func aFailedRowWriteDropsTheServedCopySoTheNextRequestImportsAgain() async throws {
        try await Self.withHeldImport("lorad-folder-import-failed") { daemon, gate, _ in
            let lock = try RegistryWriteLock(path: daemon.service.registry.path)
            gate.release()
            try daemon.writes.drain()   // the write gave up after the busy timeout
            lock.release()

            #expect(try daemon.writes.stats.failed == 1)
            #expect(daemon.count("adapter from folder could not be stored in the registry") == 1)
            #expect(!daemon.service.cache.isResident("from-folder"), "not kept as a memory-only adapter")
            #expect(try Curl.get(daemon.base + "/adapters/from-folder").status == 404)
            let metrics = try Curl.get(daemon.base + "/metrics").text
            #expect(metrics.contains("lorad_folder_import_store_failures_total 1"), "\(metrics.prefix(300))")

            // The next request imports the folder again; this time it is stored.
            try daemon.writes.beforeWrite.withLock { $0 = nil }
            #expect(try daemon.complete("from-folder") == Self.reference("python-qv-r8"))
            try daemon.writes.drain()
            #expect(daemon.count("adapter imported from folder") == 2)
            #expect(try Curl.get(daemon.base + "/adapters/from-folder").status == 200)
            #expect(try Curl.delete(daemon.base + "/adapters/from-folder").status == 200)
        }
    }

    /// Row writes that fail at once (the registry file renamed away: every
    /// write is refused) cost one import per request, and no copy stays
    /// served. (When such a failure landed while the importing request was
    /// still loading the adapter, the cache read the name again, imported
    /// the folder again, failed again, and went round for as long as the
    /// request lasted; that race is pinned by `AdapterCacheDiscardTests`.)
    @Test func aRowWriteFailingDuringItsImportCostsOneImportPerRequest() async throws {
        try await OffCooperativePool.run {
            try Self.withImportFolder("lorad-folder-import-storm") { dir, shared, registry in
                let daemon = try Daemon(registry: registry, shared: shared)
                defer { daemon.stop() }
                try FileManager.default.moveItem(at: registry, to: dir.appendingPathComponent("moved.sqlite"))
                for round in 1...3 {
                    #expect(try daemon.complete("from-folder") == Self.reference("python-qv-r8"))
                    try daemon.writes.drain()
                    #expect(daemon.count("adapter imported from folder") == round)
                    #expect(try daemon.writes.stats.failed == round)
                    #expect(!daemon.service.cache.isResident("from-folder"))
                }
            }
        }
    }
}
