import Foundation
import Testing
import TestSupport
@testable import Registry

/// Shared helpers for the registry tests: fixture adapters, fresh registries,
/// deterministic byte generators.
enum RegistryTestSupport {
    /// A registry file as schema `version` left it: migrated that far, then
    /// `sql` (the test's rows of that time) run on it, and `inspect` handed
    /// the connection before it closes. The migration tests open it with
    /// the current schema afterwards.
    static func olderFile(version: Int, sql: String,
                          inspect: (SQLiteConnection) throws -> Void = { _ in }) throws -> URL {
        let url = try Fixtures.temporaryDirectory("lorad-registry").appendingPathComponent("v\(version).sqlite3")
        let db = try SQLiteConnection(path: url.path)
        try db.migrate(Array(AdapterRegistry.migrations.prefix(version)))
        try db.execute(sql)
        try inspect(db)
        return url
    }

    /// A fresh registry file in its own temporary directory.
    static func freshRegistry(_ label: String = "registry",
                              options: AdapterRegistry.Options = .init()) throws -> (AdapterRegistry, URL) {
        let dir = try Fixtures.temporaryDirectory("lorad-\(label)")
        let url = dir.appendingPathComponent("adapters.sqlite3")
        return (try AdapterRegistry(url: url, options: options), url)
    }

    struct FixtureAdapter {
        let folder: String
        let config: String
        let weights: Data
        let weightsURL: URL
        let rank: Int
        let alpha: Double
        let targetModules: [String]

        func newAdapter(named name: String? = nil) -> NewAdapter {
            NewAdapter(name: name ?? folder, configJSON: config, ranks: [rank], alpha: alpha,
                       scale: alpha / Double(rank), targetModules: targetModules, baseModelId: "tiny-llama")
        }
    }

    /// Loads one fixture adapter folder; rank, alpha and targets come from its
    /// adapter_config.json (test-side parsing, independent of the registry).
    static func fixture(_ folder: String) throws -> FixtureAdapter {
        let dir = Fixtures.adapter(folder)
        let configData = try Data(contentsOf: dir.appendingPathComponent("adapter_config.json"))
        let weightsURL = dir.appendingPathComponent("adapter_model.safetensors")
        let object = try #require(try JSONSerialization.jsonObject(with: configData) as? [String: Any])
        let rank = try #require(object["r"] as? Int)
        let alpha = try #require((object["lora_alpha"] as? NSNumber)?.doubleValue)
        let targets = (object["target_modules"] as? [String]) ?? []
        return FixtureAdapter(folder: folder, config: String(decoding: configData, as: UTF8.self),
                              weights: try Data(contentsOf: weightsURL), weightsURL: weightsURL,
                              rank: rank, alpha: alpha, targetModules: targets.sorted())
    }

    static func allFixtures() throws -> [FixtureAdapter] {
        try Fixtures.adapterNames.map(fixture)
    }

    /// Deterministic pseudo-random bytes (xorshift64*), generated a word at a
    /// time so debug builds stay fast. `fill(buffer, at: offset)` depends only
    /// on the seed and the absolute offset (which must be a multiple of 8).
    struct ByteGenerator {
        let seed: UInt64

        func fill(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) {
            precondition(offset % 8 == 0 && buffer.count % 8 == 0)
            let words = buffer.bindMemory(to: UInt64.self)
            var index = UInt64(offset / 8)
            for i in 0..<words.count {
                // splitmix64 of (seed, index): random access, no carried state.
                var z = seed &+ (index &* 0x9E37_79B9_7F4A_7C15)
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                words[i] = z ^ (z >> 31)
                index &+= 1
            }
        }

        /// A source of `byteCount` bytes in `chunkSize` chunks. `onChunk` runs
        /// after each chunk is handed over (index, bytes so far) and may throw.
        func source(byteCount: Int64, chunkSize: Int = 1 << 20,
                    onChunk: @escaping (Int, Int64) throws -> Void = { _, _ in }) -> WeightsSource {
            WeightsSource(byteCount: byteCount) { write in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 8)
                defer { buffer.deallocate() }
                var offset: Int64 = 0
                var index = 0
                while offset < byteCount {
                    let n = Int(min(Int64(chunkSize), byteCount - offset))
                    let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                    fill(chunk, at: offset)
                    try write(UnsafeRawBufferPointer(chunk))
                    offset += Int64(n)
                    try onChunk(index, offset)
                    index += 1
                }
            }
        }
    }

    /// Absolute path of an executable on PATH, or nil.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program to completion; returns (status, stdout).
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
