import Foundation
import Registry
import Testing
import TestSupport

/// Names at the edges of the name rule, through the real binary: hub ids as
/// long as the Hub allows (96 + 1 + 96 characters) are stored, listed,
/// served and deletable however they arrive (upload, `load_lora_adapter`,
/// `adapter_dirs`, the hub cache); the base model's id is never an
/// adapter's name.
@Suite(.serialized) struct AdapterNameEndToEndTests {
    /// A hub id of 193 characters whose sides start with `first`.
    static func longest(_ first: Character) -> String {
        String(repeating: first, count: 96) + "/" + String(repeating: "n", count: 95) + String(first)
    }

    static func fixtureFile(_ file: String) -> URL { Fixtures.adapter("python-qv-r8").appendingPathComponent(file) }

    static func completion(_ daemon: LoradProcess, _ fields: [String: Any]) throws -> Curl.Response {
        let refs = try References.load()
        let body = fields.merging(["prompt": refs.prompts[0].text, "max_tokens": 24, "temperature": 0]) { a, _ in a }
        return try Curl.postJSON(daemon.baseURL + "/v1/completions", body)
    }

    static func text(_ r: Curl.Response) throws -> String {
        try #require(r.status == 200, "\(r.status) \(r.text)")
        return try #require(((try r.json()["choices"] as? [[String: Any]])?.first)?["text"] as? String)
    }

    static func modelIDs(_ daemon: LoradProcess) throws -> [String] {
        (try Curl.get(daemon.baseURL + "/v1/models").json()["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func hubIDsOfTheLongestLengthAreStoredListedServedAndDeletableFromEverySource() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-long-names")
            defer { try? FileManager.default.removeItem(at: dir) }
            let (uploaded, loaded, folder, cached) = (Self.longest("u"), Self.longest("l"), Self.longest("f"), Self.longest("h"))
            #expect(uploaded.count == 193)
            let shared = dir.appendingPathComponent("shared")
            _ = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: folder, in: shared)
            _ = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "source", in: shared)
            let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
            try tree.download(cached, commit: HubCacheEndToEndTests.commit,
                              files: try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8")),
                              blobName: HubCacheEndToEndTests.blobName)
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path],
                                          environment: ["HF_HUB_CACHE": tree.root.path], logLevel: "info")
            defer { daemon.cleanUp() }
            let base = daemon.baseURL
            let reference = try HubCacheEndToEndTests.reference("python-qv-r8")

            let upload = try Curl.upload(base, name: uploaded, config: Self.fixtureFile("adapter_config.json"),
                                         weights: Self.fixtureFile("adapter_model.safetensors"))
            #expect(upload.status == 201, "\(upload.text)")
            let load = try ReplicaFleetEndToEndTests.load(daemon, name: loaded, path: shared.path + "/source", headers: [])
            #expect(load.status == 200, "\(load.text)")
            // Imported on first use, stored just behind the request.
            for name in [folder, cached] {
                #expect(try Self.text(Self.completion(daemon, ["model": name])) == reference, "\(name.prefix(3))…")
            }
            for name in [uploaded, loaded, folder, cached] {
                #expect(try ReplicaFleetEndToEndTests.eventually { try Curl.get(base + "/adapters/" + name).status == 200 },
                        "\(name.prefix(3))… is not stored")
                #expect(try Self.text(Self.completion(daemon, ["model": name])) == reference)
            }
            #expect(!daemon.stderr.contains("could not be stored"), "\(daemon.stderr.suffix(1000))")
            let listed = try Curl.get(base + "/adapters").json()["data"] as? [[String: Any]] ?? []
            #expect(Set(listed.compactMap { $0["id"] as? String }) == [uploaded, loaded, folder, cached])
            #expect(Set(try Self.modelIDs(daemon)) == ["tiny-llama", uploaded, loaded, folder, cached])

            for name in [uploaded, loaded, folder, cached] {
                #expect(try Curl.delete(base + "/adapters/" + name).status == 200)
                #expect(try Curl.get(base + "/adapters/" + name).status == 404)
            }
            #expect((try Curl.get(base + "/adapters").json()["data"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    /// `model`, `adapter` and `?adapter=` equal to the base's id mean the
    /// base (as vLLM's served model name does); storing an adapter under it
    /// is 409 however it comes, and a spec that would name such an adapter
    /// is 400 saying why.
    @Test func theBaseModelsIDIsNeverAnAdaptersName() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-base-name")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            _ = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "tiny-llama", in: shared)
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path])
            defer { daemon.cleanUp() }
            let base = daemon.baseURL

            let upload = try Curl.upload(base, name: "tiny-llama", config: Self.fixtureFile("adapter_config.json"),
                                         weights: Self.fixtureFile("adapter_model.safetensors"))
            #expect(upload.status == 409 && upload.errorMessage?.contains("base model's id") == true, "\(upload.text)")
            let load = try ReplicaFleetEndToEndTests.load(daemon, name: "tiny-llama", path: shared.path + "/tiny-llama", headers: [])
            #expect(load.status == 409 && load.errorMessage?.contains("base model's id") == true, "\(load.text)")
            // The folder adapter_dirs/tiny-llama is not imported either.
            let spec = try Self.completion(daemon, ["adapter": "tiny-llama:1"])
            #expect(spec.status == 400 && spec.errorMessage?.contains("base model's id") == true, "\(spec.text)")
            #expect((try Curl.get(base + "/adapters").json()["data"] as? [[String: Any]])?.isEmpty == true)
            #expect(try Self.modelIDs(daemon) == ["tiny-llama"])
        }
    }

    /// A registry row named like the base (stored before the rule, or the
    /// base folder renamed since) is never served: the id keeps meaning the
    /// base, a spec naming the row is 400, `/v1/models` lists the id once,
    /// `GET /adapters` shows why, and DELETE removes it.
    @Test func anAdapterStoredUnderTheBasesIDIsNotServedButCanBeDeleted() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-base-row")
        let registryURL = dir.appendingPathComponent("registry.sqlite")
        do {
            let registry = try AdapterRegistry(url: registryURL)
            let config = try String(contentsOf: Self.fixtureFile("adapter_config.json"), encoding: .utf8)
            try registry.insert(NewAdapter(name: "tiny-llama", configJSON: config),
                                weights: try Data(contentsOf: Self.fixtureFile("adapter_model.safetensors")))
            registry.close()
        }
        let daemon = try LoradProcess(directory: dir)
        defer { daemon.cleanUp() }
        let base = daemon.baseURL
        let refs = try References.load()
        let baseText = try #require(refs.result("base", refs.prompts[0].name)).generated_text
        for fields in [["model": "tiny-llama"], ["adapter": "tiny-llama"]] {
            #expect(try Self.text(Self.completion(daemon, fields)) == baseText, "\(fields)")
        }
        for spec in ["tiny-llama:1", "tiny-llama:0.5"] {
            let r = try Self.completion(daemon, ["adapter": spec])
            #expect(r.status == 400, "\(spec): \(r.text)")
            #expect(r.errorMessage?.contains("DELETE /adapters/tiny-llama") == true, "\(r.text)")
        }
        #expect(try Curl.run(["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary",
                              #"{"adapter": "tiny-llama:1"}"#, base + "/merged"]).status == 400)
        #expect(try MergeEndToEndTests.download(daemon, "/adapters/tiny-llama/merge", headers: []).status == 400)
        #expect(try Self.modelIDs(daemon) == ["tiny-llama"])
        let row = try Curl.get(base + "/adapters/tiny-llama")
        #expect(row.status == 200)
        #expect(try row.json()["compatible"] as? Bool == false)
        #expect((try row.json()["incompatibility"] as? String)?.contains("shadow") == true, "\(row.text)")
        let listed = try Curl.get(base + "/adapters").json()["data"] as? [[String: Any]] ?? []
        #expect(listed.first?["compatible"] as? Bool == false, "\(listed)")
        #expect(try Curl.delete(base + "/adapters/tiny-llama").status == 200)
        #expect(try Curl.get(base + "/adapters/tiny-llama").status == 404)
    }
}
