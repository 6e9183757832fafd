import Foundation
import Testing
import TestSupport

/// `POST /v1/load_lora_adapter` reads a folder's files into memory like an
/// upload buffers its parts, so the same cap holds (`upload_buffer_mb`), and
/// the path it is given is the path it reads.
@Suite(.serialized) struct AdapterLoadLimitsEndToEndTests {
    /// The fixture adapter as `shared/big`, its weights file grown to 2 MiB
    /// (sparse: nothing is written) — past a 1 MiB cap, not a valid file.
    static func placeWithTwoMiBOfWeights(in shared: URL) throws -> URL {
        let big = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "big", in: shared)
        let handle = try FileHandle(forWritingTo: big.appendingPathComponent("adapter_model.safetensors"))
        try handle.truncate(atOffset: 2 << 20)
        try handle.close()
        return big
    }

    @Test func aLoadPastTheSharedBufferCapIsRefusedBeforeReadingItsFiles() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-load-budget")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let big = try Self.placeWithTwoMiBOfWeights(in: shared)
            try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "small", in: shared)
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path, "--upload-buffer-mb", "1"])
            defer { daemon.cleanUp() }
            // Alone past the cap: 413, as no retry could pass.
            let never = try ReplicaFleetEndToEndTests.load(daemon, name: "big", path: big.path, headers: [])
            #expect(never.status == 413 && never.text.contains("upload_buffer_mb"), "\(never.status) \(never.text)")
            // Past what an upload in progress leaves of it: 503, to retry.
            let held = try RawConnection(port: daemon.port)
            try held.send(UploadMemoryEndToEndTests.partialUpload(name: "holder", announced: 4 << 20, weightBytes: 1000 << 10))
            #expect(UploadMemoryEndToEndTests.waitFor { (UploadMemoryEndToEndTests.bufferedBytes(daemon) ?? 0) >= Double(1000 << 10) })
            let busy = try ReplicaFleetEndToEndTests.load(daemon, name: "small", path: shared.path + "/small", headers: [])
            #expect(busy.status == 503 && busy.text.contains("upload_buffer_mb"), "\(busy.status) \(busy.text)")
            let metrics = try Curl.get(daemon.baseURL + "/metrics").text
            #expect(metrics.contains("lorad_rejected_requests_total{reason=\"upload_buffer_full\"} 1"))
            // Both gave their claims back: once the upload ends, the load goes through.
            held.shutdown()
            #expect(UploadMemoryEndToEndTests.waitFor { UploadMemoryEndToEndTests.bufferedBytes(daemon) == 0 })
            let ok = try ReplicaFleetEndToEndTests.load(daemon, name: "small", path: shared.path + "/small", headers: [])
            #expect(ok.status == 200, "\(ok.status) \(ok.text)")
        }
    }

    /// A file over `max_upload_mb` in `adapter_dirs` is the server's file, not
    /// the client's request: 422 naming it, not 413.
    @Test func anAdapterFileOverTheUploadLimitIs422NamingIt() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-load-size")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let big = try Self.placeWithTwoMiBOfWeights(in: shared)
            let weights = big.appendingPathComponent("adapter_model.safetensors")
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path, "--max-upload-mb", "1"])
            defer { daemon.cleanUp() }
            let load = try ReplicaFleetEndToEndTests.load(daemon, name: "big", path: big.path, headers: [])
            let completion = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["model": "big", "prompt": "hi", "max_tokens": 1])
            for r in [load, completion] {
                #expect(r.status == 422 && r.text.contains(weights.path) && r.text.contains("larger than"), "\(r.status) \(r.text)")
            }
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
