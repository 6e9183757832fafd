import Foundation
import Registry
import Testing
import TestSupport

/// Rows that do not validate against the loaded base (e.g. the daemon was
/// restarted on another model) are refused, never served. Start-up checks
/// nothing: each adapter is checked on first use, the outcome is stored with
/// the base's fingerprint and trusted by later starts on the same base, and
/// checked again when the base changes.
@Suite struct RevalidationEndToEndTests {
    /// `compatible` of every listed adapter (NSNull when not checked yet).
    static func verdicts(_ daemon: LoradProcess) throws -> [String: String] {
        let json = try Curl.get(daemon.baseURL + "/adapters").json()
        var found: [String: String] = [:]
        for item in json["data"] as? [[String: Any]] ?? [] {
            let verdict = item["compatible"]
            found[item["id"] as? String ?? "?"] = (verdict as? Bool).map { $0 ? "yes" : "no" } ?? (verdict is NSNull ? "unchecked" : "?")
        }
        return found
    }

    /// The tiny model with a config.json that differs by one key: same
    /// shapes, another fingerprint.
    static func alteredModel(in dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("altered-model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: Fixtures.tinyLlama.path) where file != "config.json" {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(file),
                                                       withDestinationURL: Fixtures.tinyLlama.appendingPathComponent(file))
        }
        var config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.tinyLlama.appendingPathComponent("config.json"))) as? [String: Any])
        config["lorad_test_note"] = "fingerprint changes, shapes do not"
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    @Test func adaptersAreCheckedOnFirstUseAndTheOutcomeIsKeptUntilTheBaseChanges() throws {
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

        let first = try LoradProcess(directory: dir, logLevel: "info")
        #expect(first.stderr.contains("unchecked=2"), "start-up reports what it did not check: \(first.stderr)")
        #expect(try Self.verdicts(first) == ["foreign": "unchecked", "native": "unchecked"])

        let refused = try Curl.postJSON(first.baseURL + "/v1/completions", ["prompt": "x", "model": "foreign"])
        #expect(refused.status == 422)
        #expect(refused.errorMessage?.contains("incompatible") == true)
        #expect(refused.errorMessage?.contains("lora_A") == true)
        // Known now: refused again without another load.
        #expect(try Curl.postJSON(first.baseURL + "/v1/completions", ["prompt": "x", "model": "foreign"]).status == 422)
        let served = try Curl.postJSON(first.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "model": "native"])
        #expect(served.status == 200)
        #expect(try Self.verdicts(first) == ["foreign": "no", "native": "yes"])
        let listing = try Curl.get(first.baseURL + "/adapters/foreign").json()
        #expect((listing["incompatibility"] as? String)?.contains("lora_A") == true)
        #expect(first.stop() == 0)

        // Same base: the stored outcomes hold, nothing is unchecked.
        let same = try LoradProcess(directory: dir, logLevel: "info")
        #expect(same.stderr.contains("unchecked=0"), "\(same.stderr)")
        #expect(try Self.verdicts(same) == ["foreign": "no", "native": "yes"])
        #expect(try Curl.postJSON(same.baseURL + "/v1/completions", ["prompt": "x", "model": "foreign"]).status == 422)
        #expect(same.stop() == 0)

        // Another base (its config.json differs): every outcome is stale;
        // GET /adapters/NAME checks on the spot, a completion on first use.
        let altered = try Self.alteredModel(in: dir)
        let daemon = try LoradProcess(directory: dir, arguments: ["--model", altered.path], logLevel: "info")
        defer { daemon.kill9() }
        #expect(daemon.stderr.contains("unchecked=2"), "\(daemon.stderr)")
        #expect(try Self.verdicts(daemon) == ["foreign": "unchecked", "native": "unchecked"])
        #expect(try Curl.get(daemon.baseURL + "/adapters/foreign").json()["compatible"] as? Bool == false)
        #expect(try Curl.postJSON(daemon.baseURL + "/v1/completions",
                                  ["prompt": "x", "max_tokens": 2, "model": "native"]).status == 200)
        #expect(try Self.verdicts(daemon) == ["foreign": "no", "native": "yes"])

        // Replacing it with a valid upload makes it servable.
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
