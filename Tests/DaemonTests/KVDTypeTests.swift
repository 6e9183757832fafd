import Foundation
import Kernels
import Serving
import Synchronization
import Testing
import TestSupport
@testable import Daemon

/// `kv_dtype` / `--kv-dtype`: parsed, validated, passed to the engine and
/// reported in `/health` and the start-up log.
@Suite struct KVDTypeTests {
    @Test func kvDTypeComesFromTheFileAndTheFlagWins() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-kv-dtype")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lorad.conf").path
        try Data("kv_dtype = bf16\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try Configuration.load(file: path).kvDType == .bf16)
        #expect(try Configuration.resolve(file: path, overrides: ["kv-dtype": ["f32"]]).kvDType == .f32)
        #expect(try Configuration.resolve(file: path, overrides: ["kv-dtype": ["auto"]]).kvDType == nil)
        #expect(Configuration().kvDType == nil, "auto is the default")
    }

    /// `auto` follows the resident weights: F32 over F32 (the engine's own
    /// default, exact), F16 over BF16 or F16; a set value wins over either.
    @Test func autoCachesInF32OverF32WeightsAndInF16Over16BitWeights() throws {
        var c = Configuration()
        #expect(c.kvFormat(residentWeights: .f32) == EngineConfiguration().kvFormat)
        #expect(c.kvFormat(residentWeights: .f32) == .f32)
        #expect(c.kvFormat(residentWeights: .bf16) == .f16 && c.kvFormat(residentWeights: .f16) == .f16)
        for set in WeightFormat.allCases {
            try c.apply(overrides: ["kv-dtype": [set.rawValue]])
            #expect(WeightFormat.allCases.allSatisfy { c.kvFormat(residentWeights: $0) == set }, "\(set)")
        }
    }

    /// A value that is not a cache format stops startup naming the file,
    /// line and key.
    @Test(arguments: ["fp8", "Auto", "F16", ""])
    func aBadKVDTypeIsAConfigErrorNamingTheKey(value: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-kv-dtype")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lorad.conf").path
        try Data("max_batch = 4\nkv_dtype = \"\(value)\"\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ConfigError.self) { try Configuration.load(file: path) }
        #expect(error == .badValue(file: path, line: 2, key: "kv_dtype", value: value, expected: "auto, f32, bf16, f16"))
        #expect(error?.description.contains("'kv_dtype'") == true)
        var c = Configuration()
        #expect(throws: ConfigError.badFlagValue(flag: "kv-dtype", value: value, expected: "auto, f32, bf16, f16")) {
            try c.apply(overrides: ["kv-dtype": [value]])
        }
        #expect(c.kvDType == Configuration().kvDType, "a refused value changes nothing")
    }

    /// The engine caches in the configured format — `auto` resolved against
    /// the weights as loaded (tiny-llama-bf16 stays BF16, so F16) —;
    /// `/health` and the "model loaded" log line give it and the bytes one
    /// token's position costs, counted here from the model's config.json
    /// (2 × layers × KV heads × head size × element bytes).
    @Test(arguments: [("tiny-llama", "f16", "f16", 2), ("tiny-llama", "bf16", "bf16", 2), ("tiny-llama", "f32", "f32", 4),
                      ("tiny-llama", "auto", "f32", 4), ("tiny-llama-bf16", "auto", "f16", 2),
                      ("tiny-llama-bf16", "f32", "f32", 4)])
    func healthAndTheStartUpLogReportTheCacheFormat(model: String, setting: String, dtype: String,
                                                    elementBytes: Int) async throws {
        let dir = try Fixtures.temporaryDirectory("lorad-kv-dtype")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = model == "tiny-llama" ? Fixtures.tinyLlama : Fixtures.tinyLlamaBF16
        var configuration = Configuration()
        configuration.model = folder.path
        configuration.registry = dir.appendingPathComponent("registry.sqlite").path
        configuration.listen = [try #require(ListenAddress(parsing: "127.0.0.1:0"))]
        try configuration.apply(overrides: ["kv-dtype": [setting]])
        let lines = Mutex<[String]>([])
        let server = try LoradServer(configuration: configuration,
                                     logger: Logger(level: .info, style: .plain) { line in lines.withLock { $0.append(line) } })
        let address = try #require(try server.bind().first)
        let service = try server.load()
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any])
        let layers = try #require(json["num_hidden_layers"] as? Int), kvHeads = try #require(json["num_key_value_heads"] as? Int)
        let headSize = try #require(json["head_dim"] as? Int)
        let perToken = 2 * layers * kvHeads * headSize * elementBytes
        #expect(service.engine.configuration.kvFormat.rawValue == dtype)
        let health = try Curl.get("http://\(address)/health").json()
        #expect(health["kv_dtype"] as? String == dtype)
        #expect(health["kv_bytes_per_token"] as? Int == perToken)
        let loaded = lines.withLock { $0.first { $0.contains("model loaded") } } ?? ""
        #expect(loaded.contains("kv_dtype=\(dtype)") && loaded.contains("kv_bytes_per_token=\(perToken)"), "\(loaded)")
        await server.shutdown()
    }
}
