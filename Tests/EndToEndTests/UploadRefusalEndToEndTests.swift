import Foundation
import Testing
import TestSupport

/// Bad uploads through `curl -F`: each gets its exact status and a message
/// naming the problem, and the registry is unchanged afterwards.
@Suite struct UploadRefusalEndToEndTests {
    struct Case: Sendable, CustomStringConvertible {
        let label: String
        let status: Int
        /// Substrings the error message must contain.
        let mentions: [String]
        let curl: @Sendable (_ base: String, _ dir: URL) throws -> Curl.Response
        var description: String { label }
    }

    static let config = AdapterFiles.fixtureConfig
    static let weights = AdapterFiles.fixtureWeights

    static let cases: [Case] = [
        Case(label: "wrong shapes for this base", status: 422, mentions: ["lora_A", "shape", "[8, 64]"]) { base, dir in
            let data = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 8, modules: ["self_attn.q_proj", "self_attn.v_proj"], inOverride: 64))
            return try Curl.upload(base, name: "wrong-shapes", config: config, weights: try AdapterFiles.write(data, "w.safetensors", in: dir))
        },
        Case(label: "truncated safetensors", status: 400, mentions: ["adapter_model.safetensors"]) { base, dir in
            let data = try Data(contentsOf: weights)
            return try Curl.upload(base, name: "truncated", config: config,
                                   weights: try AdapterFiles.write(data.prefix(data.count / 2), "t.safetensors", in: dir))
        },
        Case(label: "invalid JSON config", status: 400, mentions: ["adapter_config.json", "JSON"]) { base, dir in
            try Curl.upload(base, name: "bad-json", config: try AdapterFiles.write("{\"r\": 8, ", "c.json", in: dir), weights: weights)
        },
        Case(label: "DoRA config without magnitude vectors", status: 422, mentions: ["use_dora", "lora_magnitude_vector"]) { base, dir in
            let text = try AdapterFiles.fixtureConfig(replacing: "use_dora", with: "true")
            return try Curl.upload(base, name: "dora", config: try AdapterFiles.write(text, "c.json", in: dir), weights: weights)
        },
        Case(label: "modules_to_save", status: 422, mentions: ["modules_to_save"]) { base, dir in
            let text = try AdapterFiles.fixtureConfig(replacing: "modules_to_save", with: "[\"lm_head\"]")
            return try Curl.upload(base, name: "mts", config: try AdapterFiles.write(text, "c.json", in: dir), weights: weights)
        },
        Case(label: "missing weights part", status: 400, mentions: ["`weights`"]) { base, _ in
            try Curl.upload(base, name: "no-weights", config: config, weights: nil)
        },
        Case(label: "missing name part", status: 400, mentions: ["`name`"]) { base, _ in
            try Curl.upload(base, name: nil, config: config, weights: weights)
        },
        Case(label: "name ../x", status: 400, mentions: ["../x", "'/'"]) { base, _ in
            try Curl.upload(base, name: "../x", config: config, weights: weights)
        },
        Case(label: "name .hidden", status: 400, mentions: [".hidden", "start with a letter or digit"]) { base, _ in
            try Curl.upload(base, name: ".hidden", config: config, weights: weights)
        },
        Case(label: "name -", status: 400, mentions: ["'-'", "start with a letter or digit"]) { base, _ in
            try Curl.upload(base, name: "-", config: config, weights: weights)
        },
        Case(label: "name ...", status: 400, mentions: ["...", "start with a letter or digit"]) { base, _ in
            try Curl.upload(base, name: "...", config: config, weights: weights)
        },
        Case(label: "name too long", status: 400, mentions: ["65 characters", "64"]) { base, _ in
            try Curl.upload(base, name: String(repeating: "a", count: 65), config: config, weights: weights)
        },
        Case(label: "oversized body", status: 413, mentions: ["exceeds"]) { base, dir in
            // The daemon runs with --max-upload-mb 1.
            let data = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 500, modules: ["self_attn.q_proj", "self_attn.v_proj"]))
            return try Curl.upload(base, name: "huge", config: config, weights: try AdapterFiles.write(data, "h.safetensors", in: dir))
        },
        Case(label: "wrong content type", status: 415, mentions: ["multipart/form-data", "application/json"]) { base, _ in
            try Curl.run(["-H", "Content-Type: application/json", "--data-binary", "{\"name\": \"x\"}", base + "/adapters"])
        },
        Case(label: "duplicate name", status: 409, mentions: ["python-qv-r8", "already exists"]) { base, _ in
            try Curl.upload(base, name: "python-qv-r8", config: config, weights: weights)
        },
        Case(label: "the base model's id as name", status: 409, mentions: ["'tiny-llama'", "base model's id", "shadow"]) { base, _ in
            try Curl.upload(base, name: "tiny-llama", config: config, weights: weights)
        },
        // A malformed file (no file declares a header that long), not an
        // adapter for another base: 400 like a truncated one.
        Case(label: "header length 2^63", status: 400, mentions: ["header length 9223372036854775808"]) { base, dir in
            var data = Data([0, 0, 0, 0, 0, 0, 0, 0x80])
            data.append(contentsOf: Array("{}".utf8))
            return try Curl.upload(base, name: "huge-header", config: config, weights: try AdapterFiles.write(data, "h63.safetensors", in: dir))
        },
    ]

    @Test func badUploadsAreRefusedWithTheirStatusAndLeaveTheRegistryUnchanged() throws {
        let daemon = try LoradProcess(arguments: ["--max-upload-mb", "1"])
        defer { daemon.cleanUp() }
        try ServingEndToEndTests.uploadFixtures(daemon)
        let before = try ServingEndToEndTests.listing(daemon)
        #expect(before.count == 3)
        let scratch = daemon.directory.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        for c in Self.cases {
            let r = try c.curl(daemon.baseURL, scratch)
            #expect(r.status == c.status, "\(c.label): \(r.status) \(r.text.prefix(300))")
            #expect(r.errorCode == c.status, "\(c.label): error body \(r.text.prefix(300))")
            let message = r.errorMessage ?? ""
            for m in c.mentions {
                #expect(message.contains(m), "\(c.label): message should mention \(m): \(message)")
            }
            #expect(!message.contains("adapter_model.safetensors: adapter_model.safetensors"), "\(c.label): \(message)")
            #expect(try ServingEndToEndTests.listing(daemon) == before, "\(c.label) changed the registry")
        }
        // The refused names never appear, and the fixtures still serve.
        #expect(try Curl.get(daemon.baseURL + "/adapters/dora").status == 404)
        daemon.kill9()
        let count = try RegistryProbe.check(daemon.registry)
        #expect(count.integrity == "ok")
        #expect(count.hashes == before)
    }
}
