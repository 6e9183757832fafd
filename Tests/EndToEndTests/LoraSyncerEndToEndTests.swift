import Foundation
import Testing
import TestSupport

/// The Gateway API Inference Extension's lora-syncer sidecar against a
/// replica that has tokens configured: it sends no credentials, so it calls
/// a `trusted_listen` loopback listener, and its `source` values are hub
/// ids (read from `hf_hub_cache`) or paths under `adapter_dirs`. The calls
/// are the syncer's own: `GET /health`, `GET /v1/models`, and
/// `POST /v1/load_lora_adapter` / `unload_lora_adapter` with
/// `{lora_name, lora_path, base_model_name}` and no Authorization header.
@Suite(.serialized) struct LoraSyncerEndToEndTests {
    static let hubID = "lorad-test/python-qv-r8"

    /// The port of the daemon's `trusted_listen` listener, from its stdout.
    static func trustedPort(_ daemon: LoradProcess) throws -> Int {
        let text = try String(contentsOf: daemon.stdoutURL, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains("(trusted_listen") })
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") })
        return try #require(address.split(separator: ":").last.flatMap { Int($0) })
    }

    @Test func theSyncersCallsNeedNoTokenOnTheTrustedListenerOnly() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-syncer")
            defer { try? FileManager.default.removeItem(at: dir) }
            let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
            let python = try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8"))
            try tree.download(Self.hubID, commit: String(repeating: "5a", count: 20), files: python,
                              blobName: HubCacheEndToEndTests.blobName)
            let shared = dir.appendingPathComponent("shared")
            let upper = try ReplicaFleetEndToEndTests.place("upper-all-r4", as: "upper", in: shared)
            var tokens: [String] = []
            for (role, token) in [("admin", "syncer-admin"), ("inference", "syncer-inference")] {
                let file = dir.appendingPathComponent("\(role).token")
                try Data("\(token)\n".utf8).write(to: file)
                tokens += ["--\(role)-token-file", file.path]
            }
            let daemon = try LoradProcess(directory: dir, arguments: tokens + [
                "--trusted-listen", "127.0.0.1:0", "--adapter-dirs", shared.path], environment: ["HF_HUB_CACHE": tree.root.path])
            defer { daemon.cleanUp() }
            let open = daemon.baseURL, trusted = "http://127.0.0.1:\(try Self.trustedPort(daemon))"
            #expect(trusted != open)

            // The syncer's calls, without credentials: refused on the open
            // listener, served on the trusted one.
            let load: [String: Any] = ["lora_name": "python", "lora_path": Self.hubID, "base_model_name": "tiny-llama"]
            #expect(try Curl.postJSON(open + "/v1/load_lora_adapter", load).status == 401)
            #expect(try Curl.get(open + "/v1/models").status == 401)
            #expect(try Curl.get(trusted + "/health").status == 200)
            let loaded = try Curl.postJSON(trusted + "/v1/load_lora_adapter", load)
            #expect(loaded.status == 200, "\(loaded.text)")
            let folder = try Curl.postJSON(trusted + "/v1/load_lora_adapter",
                                           ["lora_name": "upper", "lora_path": upper.path, "base_model_name": "tiny-llama"])
            #expect(folder.status == 200, "\(folder.text)")
            let models = try Curl.get(trusted + "/v1/models")
            let ids = Set(((try models.json()["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
            #expect(ids.isSuperset(of: ["python", "upper"]), "\(ids)")

            // The adapter loaded by hub id is the fixture: the PEFT reference text.
            let body: [String: Any] = ["prompt": try References.load().prompts[0].text, "max_tokens": 24, "temperature": 0,
                                       "model": "python"]
            #expect(try Curl.postJSON(open + "/v1/completions", body).status == 401)
            let completion = try Curl.postJSON(trusted + "/v1/completions", body)
            let text = (try completion.json()["choices"] as? [[String: Any]])?.first?["text"] as? String
            #expect(text == (try HubCacheEndToEndTests.reference("python-qv-r8")), "\(completion.text)")

            // A hub id the cache lacks names the download to run.
            let missing = try Curl.postJSON(trusted + "/v1/load_lora_adapter",
                                            ["lora_name": "missing", "lora_path": "lorad-test/missing"])
            #expect(missing.status == 404 && missing.text.contains("hf download lorad-test/missing"), "\(missing.text)")

            // The open listener still takes the tokens.
            let inference = ["Authorization: Bearer syncer-inference"]
            #expect(try Curl.postJSON(open + "/v1/completions", body, headers: inference).status == 200)

            let unloaded = try Curl.postJSON(trusted + "/v1/unload_lora_adapter", ["lora_name": "python"])
            #expect(unloaded.status == 200, "\(unloaded.text)")
            #expect(try Curl.postJSON(open + "/v1/completions", body, headers: inference).status == 404)
        }
    }
}
