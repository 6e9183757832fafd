import Foundation
import Testing
import TestSupport

/// `adapter_cache_mb` + `adapter_cache_overcommit_pct` bound the adapters in
/// use, but never keep a request out for good: one alone always runs,
/// however large its mix.
@Suite(.serialized) struct AdapterCacheLimitsEndToEndTests {
    @Test func aMixPastTheInUseLimitRunsOnAnIdleServer() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-cache-limit")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let names = (0..<6).map { "r\($0)" }
            for name in names { try ReplicaFleetEndToEndTests.place("rslora-qkvo-r16", as: name, in: shared) }
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path, "--adapter-cache-mb", "1",
                                                      "--adapter-cache-overcommit-pct", "0"])
            defer { daemon.cleanUp() }
            let one = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["model": "r0", "prompt": "Hello", "max_tokens": 2])
            #expect(one.status == 200, "\(one.text)")
            let bytes = try #require(MergeDownloadCapEndToEndTests.gauge(daemon, "lorad_adapter_cache_bytes"))
            let mix = names.map { "\($0):0.1" }.joined(separator: ",")
            #expect(bytes * Double(names.count) > Double(1 << 20), "the mix must weigh more than the 1 MiB allowed")
            let answer = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["model": mix, "prompt": "Hello", "max_tokens": 2])
            #expect(answer.status == 200, "an idle server runs the mix alone: \(answer.status) \(answer.text)")
        }
    }
}
