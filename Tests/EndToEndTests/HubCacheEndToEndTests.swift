import Foundation
import Registry
import Testing
import TestSupport

/// Adapters named by Hugging Face hub id `ORG/NAME`, served from a hub cache
/// laid out as `hf download` lays it out (`HF_HUB_CACHE`), through every
/// place a name goes: `?adapter=`, `"model"`, specs, uploads, vLLM's
/// load/unload, `/adapters/ORG/NAME` (two segments or `%2F`), merges,
/// `/v1/models` and `/metrics`.
@Suite(.serialized) struct HubCacheEndToEndTests {
    static let hubID = "lorad-test/python-qv-r8"
    static let commit = String(repeating: "3e1f", count: 10)
    static let fixed = String(repeating: "77", count: 20)

    static func blobName(_ data: Data) -> String { SHA256.hex(of: data) }

    /// Greedy completion of the first reference prompt with 2 logprobs.
    static func complete(_ daemon: LoradProcess, query: String = "", model: String? = nil) throws -> Curl.Response {
        let refs = try References.load()
        var body: [String: Any] = ["prompt": refs.prompts[0].text, "max_tokens": 24, "temperature": 0, "logprobs": 2]
        if let model { body["model"] = model }
        return try Curl.postJSON(daemon.baseURL + "/v1/completions" + query, body)
    }

    /// The text and the per-token logprobs (chosen and top) of a completion.
    static func output(_ response: Curl.Response) throws -> (text: String, logprobs: [Double], top: [[String: Double]]) {
        try #require(response.status == 200, "\(response.status) \(response.text)")
        let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first)
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        return (try #require(choice["text"] as? String), try #require(logprobs["token_logprobs"] as? [Double]),
                try #require(logprobs["top_logprobs"] as? [[String: Double]]))
    }

    static func reference(_ fixture: String) throws -> String {
        let refs = try References.load()
        return try #require(refs.result(fixture, refs.prompts[0].name)).generated_text
    }

    static func fixtureFile(_ fixture: String, _ file: String) -> URL {
        Fixtures.adapter(fixture).appendingPathComponent(file)
    }

    @Test func hubIDsServeFromTheHubCacheLikeTheSameAdapterUploaded() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-hub")
            defer { try? FileManager.default.removeItem(at: dir) }
            let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
            let python = try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8"))
            try tree.download(Self.hubID, commit: Self.commit, files: python, blobName: Self.blobName)
            // adapter_dirs holds ORG/NAME folders too, and is asked first.
            let shared = dir.appendingPathComponent("shared")
            try ReplicaFleetEndToEndTests.place("upper-all-r4", as: "lorad-test/upper", in: shared)
            try tree.download("lorad-test/upper", commit: Self.commit, files: python, blobName: Self.blobName)

            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path],
                                          environment: ["HF_HUB_CACHE": tree.root.path], logLevel: "info")
            defer { daemon.cleanUp() }
            let base = daemon.baseURL
            #expect(try Curl.upload(base, name: "plain-copy", config: Self.fixtureFile("python-qv-r8", "adapter_config.json"),
                                    weights: Self.fixtureFile("python-qv-r8", "adapter_model.safetensors")).status == 201)
            #expect(try Curl.upload(base, name: "upper-plain", config: Self.fixtureFile("upper-all-r4", "adapter_config.json"),
                                    weights: Self.fixtureFile("upper-all-r4", "adapter_model.safetensors")).status == 201)

            // The hub id equals the same adapter uploaded under a plain name,
            // token for token and logprob for logprob, and PEFT's text.
            let plain = try Self.output(Self.complete(daemon, query: "?adapter=plain-copy"))
            let hub = try Self.output(Self.complete(daemon, query: "?adapter=" + Self.hubID))
            #expect(hub.text == plain.text)
            #expect(hub.logprobs == plain.logprobs)
            #expect(hub.top == plain.top)
            #expect(hub.text == (try Self.reference("python-qv-r8")))
            #expect(try Self.output(Self.complete(daemon, model: Self.hubID)).text == plain.text)
            #expect(try Self.output(Self.complete(daemon, query: "?adapter=lorad-test%2Fpython-qv-r8")).text == plain.text)
            let mixHub = try Self.output(Self.complete(daemon, model: Self.hubID + ":0.5,upper-plain:0.5"))
            let mixPlain = try Self.output(Self.complete(daemon, model: "plain-copy:0.5,upper-plain:0.5"))
            #expect(mixHub.text == mixPlain.text)
            #expect(mixHub.logprobs == mixPlain.logprobs)
            #expect(ReplicaFleetEndToEndTests.occurrences(of: "adapter imported from folder", in: daemon.stderr) == 1,
                    "imported once, then served from the registry")
            #expect(daemon.stderr.contains("snapshots/\(Self.commit)"), "the import names the snapshot it read")

            // adapter_dirs' DIR/ORG/NAME wins over the hub cache's ORG/NAME.
            #expect(try Self.output(Self.complete(daemon, model: "lorad-test/upper")).text == (try Self.reference("upper-all-r4")))

            // Its resource (stored just behind the first request), two ways; /v1/models; /metrics.
            #expect(try ReplicaFleetEndToEndTests.eventually { try Curl.get(base + "/adapters/" + Self.hubID).status == 200 })
            for path in ["/adapters/" + Self.hubID, "/adapters/lorad-test%2Fpython-qv-r8"] {
                let r = try Curl.get(base + path)
                #expect(r.status == 200, "\(path): \(r.text)")
                #expect(try r.json()["id"] as? String == Self.hubID)
            }
            let models = try Curl.get(base + "/v1/models").json()["data"] as? [[String: Any]] ?? []
            #expect(models.contains { $0["id"] as? String == Self.hubID && $0["parent"] as? String == "tiny-llama" }, "\(models)")
            let metrics = try Curl.get(base + "/metrics").text
            #expect(metrics.contains("lorad_completions_total{adapter=\"\(Self.hubID)\""), "the adapter label is the hub id")

            // Merge download: the same bytes as the plain name's, under a file name without '/'.
            let plainMerge = try MergeEndToEndTests.download(daemon, "/adapters/plain-copy/merge", headers: [])
            for path in ["/adapters/\(Self.hubID)/merge", "/adapters/lorad-test%2Fpython-qv-r8/merge"] {
                let hubMerge = try MergeEndToEndTests.download(daemon, path, headers: [])
                #expect(hubMerge.status == 200)
                #expect(hubMerge.body == plainMerge.body, "\(path)")
                #expect(hubMerge.headers["content-disposition"] == "attachment; filename=\"lorad-test--python-qv-r8-merged.safetensors\"",
                        "\(hubMerge.headers)")
            }
            let config = try Curl.get(base + "/adapters/\(Self.hubID)/merge/config.json")
            #expect(config.status == 200)
            #expect(config.body == (try Curl.get(base + "/adapters/plain-copy/merge/config.json")).body)

            // Uploads, delete, vLLM's load/unload under hub ids.
            let upload = try Curl.upload(base, name: "my-org/uploaded", config: Self.fixtureFile("upper-all-r4", "adapter_config.json"),
                                         weights: Self.fixtureFile("upper-all-r4", "adapter_model.safetensors"))
            #expect(upload.status == 201, "\(upload.text)")
            #expect(try Self.output(Self.complete(daemon, model: "my-org/uploaded")).text == (try Self.reference("upper-all-r4")))
            #expect(try Curl.delete(base + "/adapters/my-org/uploaded").status == 200)
            #expect(try Curl.get(base + "/adapters/my-org/uploaded").status == 404)
            #expect(try Self.complete(daemon, model: "my-org/uploaded").status == 404)
            let load = try ReplicaFleetEndToEndTests.load(daemon, name: "fleet/loaded", path: shared.path + "/lorad-test/upper", headers: [])
            #expect(load.status == 200, "\(load.text)")
            #expect(try Self.output(Self.complete(daemon, model: "fleet/loaded")).text == (try Self.reference("upper-all-r4")))
            #expect(try Curl.postJSON(base + "/v1/unload_lora_adapter", ["lora_name": "fleet/loaded"]).status == 200)
            #expect(try Self.complete(daemon, model: "fleet/loaded").status == 404)

            // A newer download is served once the imported copy is deleted.
            try tree.download(Self.hubID, commit: Self.fixed, files: try HubCacheTree.adapterFiles(Fixtures.adapter("upper-all-r4")),
                              blobName: Self.blobName)
            #expect(try Self.output(Self.complete(daemon, model: Self.hubID)).text == plain.text, "the registry's copy")
            #expect(try Curl.delete(base + "/adapters/" + Self.hubID).status == 200)
            #expect(try Self.output(Self.complete(daemon, model: Self.hubID)).text == (try Self.reference("upper-all-r4")))
        }
    }

    @Test func anIncompleteOrEscapingHubCacheEntryIsRefusedNamingWhatIsWrong() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-hub-refusals")
            defer { try? FileManager.default.removeItem(at: dir) }
            let fm = FileManager.default
            let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
            let python = try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8"))
            // Weights linking out of the cache.
            let escapee = try tree.download("lorad-test/escapee", commit: Self.commit, files: python, blobName: Self.blobName)
            try fm.createDirectory(at: dir.appendingPathComponent("outside"), withIntermediateDirectories: true)
            try fm.copyItem(at: Self.fixtureFile("python-qv-r8", "adapter_model.safetensors"),
                            to: dir.appendingPathComponent("outside/weights"))
            try fm.removeItem(at: escapee.appendingPathComponent("adapter_model.safetensors"))
            try fm.createSymbolicLink(atPath: escapee.appendingPathComponent("adapter_model.safetensors").path,
                                      withDestinationPath: "../../../../outside/weights")
            // Downloaded at a commit only (no refs/main), and a ref to a missing snapshot.
            try tree.download("lorad-test/no-ref", commit: Self.commit, files: python, blobName: Self.blobName, main: false)
            try tree.download("lorad-test/no-snapshot", commit: Self.commit, files: python, blobName: Self.blobName)
            try tree.setMain("lorad-test/no-snapshot", commit: Self.fixed)
            // Weights for another base shape: 422 until main moves to a fixed snapshot.
            let foreign = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 8, modules: ["self_attn.q_proj", "self_attn.v_proj"], inOverride: 64))
            try tree.download("lorad-test/broken", commit: Self.commit,
                              files: ["adapter_config.json": python["adapter_config.json"]!, "adapter_model.safetensors": foreign],
                              blobName: Self.blobName)

            let daemon = try LoradProcess(environment: ["HF_HUB_CACHE": tree.root.path], logLevel: "info")
            defer { daemon.cleanUp() }
            func refusal(_ name: String) throws -> (status: Int, message: String) {
                let r = try Self.complete(daemon, model: name)
                return (r.status, r.errorMessage ?? r.text)
            }
            let out = try refusal("lorad-test/escapee")
            #expect(out.status == 403)
            #expect(out.message.contains(escapee.lastPathComponent + "/adapter_model.safetensors") && out.message.contains("hub cache"), "\(out.message)")
            let noRef = try refusal("lorad-test/no-ref")
            #expect(noRef.status == 404)
            #expect(noRef.message.contains("models--lorad-test--no-ref/refs/main"), "\(noRef.message)")
            let noSnapshot = try refusal("lorad-test/no-snapshot")
            #expect(noSnapshot.status == 404)
            #expect(noSnapshot.message.contains("models--lorad-test--no-snapshot/snapshots/\(Self.fixed)"), "\(noSnapshot.message)")
            #expect(try refusal("lorad-test/absent").status == 404)
            // A name breaking the rule is a bad request naming the rule (as
            // `?adapter=`; a `"model"` that is no valid name is an unknown model).
            for bad in ["a/b/c/d", "lorad-test/..", "lorad-test/..x", "lorad--test/x", "org/x--y", "../x"] {
                let r = try Self.complete(daemon, query: "?adapter=" + bad)
                #expect(r.status == 400, "\(bad): \(r.status) \(r.text)")
                #expect(r.errorMessage?.contains("not a valid adapter name") == true, "\(bad): \(r.text)")
            }
            #expect(try Self.complete(daemon, query: "?adapter=a/b/c/d").errorMessage?.contains("3 '/'") == true)
            #expect(try Self.complete(daemon, model: "a/b/c/d").status == 404)
            #expect(try Curl.get(daemon.baseURL + "/adapters/a/b/c").status == 404)

            for _ in 0..<2 { #expect(try refusal("lorad-test/broken").status == 422) }
            #expect(ReplicaFleetEndToEndTests.occurrences(of: "adapter folder fails validation", in: daemon.stderr) == 1)
            try tree.download("lorad-test/broken", commit: Self.fixed, files: python, blobName: Self.blobName)
            #expect(try Self.output(Self.complete(daemon, model: "lorad-test/broken")).text == (try Self.reference("python-qv-r8")))
        }
    }

    /// `hf_hub_cache` names the cache (the environment then does not count)
    /// or turns it off.
    @Test func theHubCacheSettingChoosesTheFolderOrNone() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-hub-setting")
            defer { try? FileManager.default.removeItem(at: dir) }
            let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
            try tree.download(Self.hubID, commit: Self.commit, files: try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8")),
                              blobName: Self.blobName)
            let elsewhere = ["HF_HUB_CACHE": dir.appendingPathComponent("empty").path]
            let named = try LoradProcess(arguments: ["--hf-hub-cache", tree.root.path], environment: elsewhere, logLevel: "info")
            defer { named.cleanUp() }
            // Concurrent first requests import once (the resolver's single flight).
            let refs = try References.load()
            let runs = try (0..<4).map { _ in
                try Curl.startJSON(named.baseURL + "/v1/completions",
                                   ["prompt": refs.prompts[0].text, "max_tokens": 24, "temperature": 0, "model": Self.hubID])
            }
            for run in runs {
                let json = try run.wait().json()
                #expect((json["choices"] as? [[String: Any]])?.first?["text"] as? String == (try Self.reference("python-qv-r8")))
            }
            #expect(ReplicaFleetEndToEndTests.occurrences(of: "adapter imported from folder", in: named.stderr) == 1, "\(named.stderr)")
            let off = try LoradProcess(arguments: ["--hf-hub-cache", "off"], environment: ["HF_HUB_CACHE": tree.root.path])
            defer { off.cleanUp() }
            #expect(try Self.complete(off, model: Self.hubID).status == 404)
        }
    }

    /// `lorad merge` and `lorad generate` read `--adapter ORG/NAME` from the
    /// hub cache `$HF_HUB_CACHE` names: the same bytes and text as given the
    /// fixture's folder.
    @Test func theCommandLineReadsHubIDsFromTheHubCache() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-cli-hub")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
        try tree.download(Self.hubID, commit: Self.commit, files: try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8")),
                          blobName: Self.blobName)
        var environment = ProcessInfo.processInfo.environment
        environment["HF_HUB_CACHE"] = tree.root.path
        func merged(_ adapter: String) throws -> Data {
            let out = dir.appendingPathComponent("merged-\(UUID().uuidString.prefix(8))")
            let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--out", out.path, "--adapter", adapter],
                                        environment: environment)
            try #require(r.status == 0, "lorad merge --adapter \(adapter): \(r.stderr)")
            return try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
        }
        #expect(try merged(Self.hubID + ":0.5") == merged(Fixtures.adapter("python-qv-r8").path + ":0.5"))
        let refs = try References.load()
        func generated(_ adapter: String) throws -> String {
            let r = try LoradBinary.run(["generate", "--model", Fixtures.tinyLlama.path, "--prompt", refs.prompts[0].text,
                                         "--max-tokens", "24", "--adapter", adapter], environment: environment)
            try #require(r.status == 0, "lorad generate --adapter \(adapter): \(r.stderr)")
            return r.stdout
        }
        let fromHub = try generated(Self.hubID)
        #expect(fromHub == (try generated(Fixtures.adapter("python-qv-r8").path)))
        #expect(fromHub.hasPrefix(try Self.reference("python-qv-r8")), "\(fromHub)")
        try tree.setMain(Self.hubID, commit: Self.fixed)
        let missing = try LoradBinary.run(["generate", "--model", Fixtures.tinyLlama.path, "--prompt", "x", "--adapter", Self.hubID],
                                          environment: environment)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("snapshots/\(Self.fixed)"), "\(missing.stderr)")
    }
}
