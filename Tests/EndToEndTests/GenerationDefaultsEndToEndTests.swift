import Foundation
import Testing
import TestSupport

/// A model's generation_config.json sampling defaults fill the fields a
/// request leaves out (vLLM's `--generation-config auto`), and only those;
/// `generation_defaults = none` keeps lorad's own.
@Suite struct GenerationDefaultsEndToEndTests {
    /// The demo model with greedy decoding and 5 new tokens as its defaults.
    static func greedyModel() throws -> URL {
        let copy = try Fixtures.temporaryDirectory("lorad-gen-defaults").appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.tinyLlama, to: copy)
        let file = copy.appendingPathComponent("generation_config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        config["temperature"] = 0.0
        config["max_new_tokens"] = 5
        try FileManager.default.removeItem(at: file)
        try JSONSerialization.data(withJSONObject: config).write(to: file)
        return copy
    }

    static func complete(_ daemon: LoradProcess, _ body: [String: Any]) throws -> (text: String, tokens: Int) {
        let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", body)
        let json = try r.json()
        let text = try #require(((json["choices"] as? [[String: Any]])?.first)?["text"] as? String, "\(r.text)")
        let tokens = try #require((json["usage"] as? [String: Any])?["completion_tokens"] as? Int)
        return (text, tokens)
    }

    @Test func fieldsARequestLeavesOutTakeTheModelsDefaults() throws {
        let model = try Self.greedyModel()
        let daemon = try LoradProcess(arguments: ["--model", model.path], logLevel: "info")
        defer { daemon.cleanUp() }
        #expect(daemon.stderr.contains("sampling defaults from generation_config.json"), "\(daemon.stderr)")
        let prompt = "The licensee may copy"
        // Greedy and 5 tokens, as the explicit request; a seed cannot change greedy text.
        let explicit = try Self.complete(daemon, ["prompt": prompt, "temperature": 0, "max_tokens": 5, "ignore_eos": true])
        for seed in [1, 2, 3] {
            let defaulted = try Self.complete(daemon, ["prompt": prompt, "seed": seed, "ignore_eos": true])
            #expect(defaulted.text == explicit.text && defaulted.tokens == 5, "seed \(seed): \(defaulted)")
        }
        // A field the request sets wins: 7 tokens, and sampling at temperature 1 varies with the seed.
        #expect(try Self.complete(daemon, ["prompt": prompt, "max_tokens": 7, "ignore_eos": true]).tokens == 7)
        let sampled = try Set([1, 2, 3, 4, 5, 6].map {
            try Self.complete(daemon, ["prompt": prompt, "temperature": 1.5, "seed": $0, "ignore_eos": true]).text
        })
        #expect(sampled.count > 1, "temperature 1.5 over six seeds gave one text: the default overrode the request")
    }

    @Test func generationDefaultsNoneKeepsLoradsOwn() throws {
        let model = try Self.greedyModel()
        let daemon = try LoradProcess(arguments: ["--model", model.path, "--generation-defaults", "none"], logLevel: "info")
        defer { daemon.cleanUp() }
        #expect(daemon.stderr.contains("are not used (generation_defaults = none)"), "\(daemon.stderr)")
        let prompt = "The licensee may copy"
        #expect(try Self.complete(daemon, ["prompt": prompt, "ignore_eos": true]).tokens == 16)
        let texts = try Set([1, 2, 3, 4, 5, 6].map { try Self.complete(daemon, ["prompt": prompt, "seed": $0, "ignore_eos": true]).text })
        #expect(texts.count > 1, "temperature 1 over six seeds gave one text: the model's greedy default was applied")
    }
}
