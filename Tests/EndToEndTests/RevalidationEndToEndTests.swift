import Foundation
import Registry
import Testing
import TestSupport

/// Rows that no longer validate against the loaded base (e.g. the daemon was
/// restarted on another model) are reported at start-up and refused, never served.
@Suite struct RevalidationEndToEndTests {
    @Test func incompatibleStoredAdaptersAreReportedAndRefused() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-revalidate")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A row written for a base whose q/v take 64 inputs (not this model's 128).
        let registry = try AdapterRegistry(path: dir.appendingPathComponent("registry.sqlite").path)
        let config = try String(contentsOf: AdapterFiles.fixtureConfig, encoding: .utf8)
        let foreign = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 8, modules: ["self_attn.q_proj", "self_attn.v_proj"], inOverride: 64))
        _ = try registry.insert(NewAdapter(name: "foreign", configJSON: config, ranks: [8], alpha: 16, scale: 2,
                                           targetModules: ["q_proj", "v_proj"], baseModelId: "other-model"), weights: foreign)
        _ = try registry.insert(NewAdapter(name: "native", configJSON: config, ranks: [8], alpha: 16, scale: 2,
                                           targetModules: ["q_proj", "v_proj"], baseModelId: "tiny-llama"),
                                weights: try Data(contentsOf: AdapterFiles.fixtureWeights))
        registry.close()

        let daemon = try LoradProcess(directory: dir)
        defer { daemon.kill9() }
        #expect(daemon.stderr.contains("adapter=foreign"), "start-up must log the incompatible adapter: \(daemon.stderr)")
        let listing = try Curl.get(daemon.baseURL + "/adapters/foreign").json()
        #expect(listing["compatible"] as? Bool == false)
        #expect((listing["incompatibility"] as? String)?.contains("lora_A") == true)
        #expect(try Curl.get(daemon.baseURL + "/adapters/native").json()["compatible"] as? Bool == true)

        let refused = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "model": "foreign"])
        #expect(refused.status == 422)
        #expect(refused.errorMessage?.contains("incompatible") == true)
        let served = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "model": "native"])
        #expect(served.status == 200)

        // Replacing it with a valid upload clears the flag.
        let fixed = try LiveChangeEndToEndTests.upload(daemon, "python-qv-r8", as: "foreign", replace: true)
        #expect(fixed.status == 201)
        #expect(try Curl.get(daemon.baseURL + "/adapters/foreign").json()["compatible"] as? Bool == true)
        #expect(try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "model": "foreign"]).status == 200)

        // `lorad adapters list` reads the same rows offline (next to the running daemon).
        let stored = try ServingEndToEndTests.listing(daemon)
        let offline = try ExternalTool.run(try LoradBinary.url().path, ["adapters", "list", "--json", "--registry", daemon.registry.path])
        #expect(offline.status == 0, "\(offline.stderr)")
        var rows: [String: String] = [:]
        for line in offline.stdout.split(separator: "\n") {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            rows[row["name"] as? String ?? "?"] = row["sha256"] as? String
        }
        #expect(rows == stored)
        let table = try ExternalTool.run(try LoradBinary.url().path, ["adapters", "list", "--registry", daemon.registry.path])
        #expect(table.stdout.split(separator: "\n").count == 3, "header + 2 rows: \(table.stdout)")
    }
}
