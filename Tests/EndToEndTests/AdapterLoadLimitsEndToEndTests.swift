import Foundation
import Testing
import TestSupport

/// `POST /v1/load_lora_adapter` reads a folder's files into memory like an
/// upload buffers its parts, so the same cap holds (`upload_buffer_mb`), and
/// the path it is given is the path it reads.
@Suite(.serialized) struct AdapterLoadLimitsEndToEndTests {
    @Test func aLoadWhoseFilesPassTheSharedBufferCapGets503BeforeReadingThem() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-load-budget")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let big = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "big", in: shared)
            // 2 MiB of weights (sparse: nothing is written) against a 1 MiB cap.
            let weights = big.appendingPathComponent("adapter_model.safetensors")
            let handle = try FileHandle(forWritingTo: weights)
            try handle.truncate(atOffset: 2 << 20)
            try handle.close()
            try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "small", in: shared)
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path, "--upload-buffer-mb", "1"])
            defer { daemon.cleanUp() }
            let refused = try ReplicaFleetEndToEndTests.load(daemon, name: "big", path: big.path, headers: [])
            #expect(refused.status == 503 && refused.text.contains("upload_buffer_mb"), "\(refused.status) \(refused.text)")
            // The refused load gave its claim back: a load within the cap goes through.
            let metrics = try Curl.get(daemon.baseURL + "/metrics").text
            #expect(metrics.contains("lorad_upload_buffered_bytes 0"))
            #expect(metrics.contains("lorad_rejected_requests_total{reason=\"upload_buffer_full\"} 1"))
            let ok = try ReplicaFleetEndToEndTests.load(daemon, name: "small", path: shared.path + "/small", headers: [])
            #expect(ok.status == 200, "\(ok.status) \(ok.text)")
        }
    }

    @Test func aLoraPathWithANulOrASymlinkLoopIsRefusedNamingWhy() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-load-paths")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let ok = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "ok", in: shared)
            let loop = shared.appendingPathComponent("loop")
            try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: shared.appendingPathComponent("loop2").path)
            try FileManager.default.createSymbolicLink(atPath: shared.appendingPathComponent("loop2").path, withDestinationPath: loop.path)
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path])
            defer { daemon.cleanUp() }
            // C would read the path only up to the NUL: the folder `ok`.
            let nul = try ReplicaFleetEndToEndTests.load(daemon, name: "nul", path: ok.path + "\u{0}/elsewhere", headers: [])
            #expect(nul.status == 400 && nul.text.contains("NUL"), "\(nul.status) \(nul.text)")
            let looped = try ReplicaFleetEndToEndTests.load(daemon, name: "looped", path: loop.path, headers: [])
            #expect(looped.status == 422 && looped.text.contains(String(cString: strerror(ELOOP))), "\(looped.status) \(looped.text)")
            let listed = try Curl.get(daemon.baseURL + "/adapters").text
            #expect(!listed.contains("\"nul\"") && !listed.contains("\"looped\""), "\(listed)")
        }
    }
}
