import Foundation
import Testing
import TestSupport

/// An upload's memory follows the bytes it has received, never the size it
/// announces, and all uploads in progress share one cap (`upload_buffer_mb`).
@Suite(.serialized) struct UploadMemoryEndToEndTests {
    /// The start of a `POST /adapters` whose Content-Length announces
    /// `announced` bytes: the name and config parts, the weights part's
    /// head and `weightBytes` bytes of it — the rest never comes.
    static func partialUpload(name: String, announced: Int, weightBytes: Int) throws -> [UInt8] {
        let boundary = "lorad-test-boundary"
        let config = try String(contentsOf: AdapterFiles.fixtureConfig, encoding: .utf8)
        let parts = "--\(boundary)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\(name)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"config\"; filename=\"adapter_config.json\"\r\n\r\n\(config)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"weights\"; filename=\"adapter_model.safetensors\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
        let head = "POST /adapters HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\n"
            + "Content-Length: \(announced)\r\n\r\n"
        // The weights start like a safetensors file (a 1 KiB header length),
        // so the handler keeps reading instead of refusing the prefix.
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: 1024 >> (8 * $0)) }
        return Array((head + parts).utf8) + prefix + [UInt8](repeating: 0x41, count: max(0, weightBytes - 8))
    }

    /// `lorad_upload_buffered_bytes` from `/metrics` (nil when absent).
    static func bufferedBytes(_ lorad: LoradProcess) -> Double? {
        guard let text = try? Curl.get(lorad.baseURL + "/metrics").text else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("lorad_upload_buffered_bytes ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) }
    }

    static func waitFor(seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    @Test func uploadsAnnouncingHugeBodiesCostOnlyWhatTheySentUnderAVirtualMemoryLimit() throws {
        // 12 × 256 MiB announced is 3 GiB: far past this address-space limit
        // (the idle debug daemon maps ~0.5 GiB). Reserving the announced size
        // killed the daemon here.
        let lorad = try LoradProcess(arguments: ["--max-upload-mb", "256"], ulimits: ["-v 2097152"])
        defer { lorad.cleanUp() }
        let sent = 64 * 1024
        let clients = try (0..<12).map { i in
            let c = try RawConnection(port: lorad.port)
            try c.send(Self.partialUpload(name: "big-\(i)", announced: 256 << 20, weightBytes: sent))
            return c
        }
        // Every handler is inside the weights part: each has claimed at least its sent weight bytes.
        #expect(Self.waitFor { (Self.bufferedBytes(lorad) ?? 0) >= Double(12 * sent) })
        let health = try Curl.get(lorad.baseURL + "/health")
        #expect(health.status == 200)
        #expect(lorad.process.isRunning)
        _ = clients
        // The connections close; every claimed byte is given back.
        for c in clients { c.shutdown() }
        #expect(Self.waitFor { Self.bufferedBytes(lorad) == 0 })
    }

    /// Validation checks every module's values without keeping them: the
    /// peak is the upload plus one module, where holding the F32 modules
    /// (A, B and Bᵀ: 1.5× an F32 file, 3× a 16-bit one) made it 2.5–4×.
    @Test func anUploadPeaksAtLittleMoreThanItsFile() throws {
        let lorad = try LoradProcess(arguments: ["--max-upload-mb", "256"])
        defer { lorad.cleanUp() }
        let modules = AdapterFiles.shapes.map(\.module)
        let weights = try AdapterFiles.write(AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 1024, modules: modules)),
                                             "big.safetensors", in: lorad.directory)
        let config = try AdapterFiles.write(AdapterFiles.config(rank: 1024, alpha: 1024, targets: modules), "c.json", in: lorad.directory)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: weights.path)[.size] as? Int)
        let pid = lorad.process.processIdentifier
        let peakBefore = ProcessMemory.peakBytes(pid: pid), before = ProcessMemory.residentBytes(pid: pid)
        let r = try Curl.upload(lorad.baseURL, name: "big", config: config, weights: weights)
        #expect(r.status == 201, "\(r.status) \(r.text)")
        let grown = ProcessMemory.peakBytes(pid: pid) - max(peakBefore, before)
        #expect(Double(grown) < 1.6 * Double(size), "peak RSS grew by \(grown >> 20) MB for a \(size >> 20) MB file")
    }

    @Test func anUploadPastTheSharedBufferCapGets503AndTheCapFreesWhenUploadsEnd() throws {
        let lorad = try LoradProcess(arguments: ["--upload-buffer-mb", "1"])
        defer { lorad.cleanUp() }
        let held = try RawConnection(port: lorad.port)
        try held.send(Self.partialUpload(name: "holder", announced: 4 << 20, weightBytes: 768 << 10))
        #expect(Self.waitFor { (Self.bufferedBytes(lorad) ?? 0) >= Double(768 << 10) })
        // A second upload of the same size would take the total past 1 MiB.
        let refused = try RawConnection(port: lorad.port)
        try refused.send(Self.partialUpload(name: "refused", announced: 4 << 20, weightBytes: 768 << 10))
        let answer = try refused.readUntilClose()
        #expect(answer.hasPrefix("HTTP/1.1 503"))
        #expect(answer.contains("Retry-After: 5\r\n"))
        #expect(answer.contains("Connection: close\r\n"))
        #expect(answer.contains("upload_buffer_mb"))
        // The refused upload gave its bytes back; the held one still has its own.
        #expect(Self.waitFor { (Self.bufferedBytes(lorad) ?? 0) < Double(1 << 20) })
        held.shutdown()
        #expect(Self.waitFor { Self.bufferedBytes(lorad) == 0 })
        // With the cap free again, a real upload goes through.
        let ok = try Curl.upload(lorad.baseURL, name: "after", config: AdapterFiles.fixtureConfig, weights: AdapterFiles.fixtureWeights)
        #expect(ok.status == 201)
        let metrics = try Curl.get(lorad.baseURL + "/metrics").text
        #expect(metrics.contains("lorad_rejected_requests_total{reason=\"upload_buffer_full\"} 1"))
    }
}
