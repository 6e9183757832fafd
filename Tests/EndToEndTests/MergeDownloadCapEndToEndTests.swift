import Foundation
import Testing
import TestSupport

/// Merge downloads in progress are capped (`max_merge_downloads`): one more
/// gets 503 + Retry-After at once, and the slot frees when a download ends.
@Suite struct MergeDownloadCapEndToEndTests {
    static func gauge(_ lorad: LoradProcess, _ name: String) -> Double? {
        guard let text = try? Curl.get(lorad.baseURL + "/metrics").text else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func aDownloadPastTheCapGets503UntilTheStalledOneEnds() throws {
        let lorad = try LoradProcess(arguments: ["--max-merge-downloads", "1"])
        defer { lorad.cleanUp() }
        let folder = Fixtures.adapter("python-qv-r8")
        let up = try Curl.upload(lorad.baseURL, name: "python-qv-r8", config: folder.appendingPathComponent("adapter_config.json"),
                                 weights: folder.appendingPathComponent("adapter_model.safetensors"))
        try #require(up.status == 201)
        // A client with a 4 KiB receive buffer that reads nothing: the ~5 MB
        // merged model cannot vanish into kernel buffers, so its download
        // stays in progress.
        let stalled = try RawConnection(port: lorad.port, receiveBuffer: 4096)
        try stalled.send("POST /adapters/python-qv-r8/merge HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(UploadMemoryEndToEndTests.waitFor { Self.gauge(lorad, "lorad_merge_downloads") == 1 })
        let headers = lorad.directory.appendingPathComponent("refused-headers")
        let refused = try Curl.run(["-X", "POST", "-D", headers.path, lorad.baseURL + "/adapters/python-qv-r8/merge"])
        #expect(refused.status == 503)
        #expect(try String(contentsOf: headers, encoding: .utf8).contains("Retry-After: 5\r\n"))
        #expect(refused.errorMessage?.contains("max_merge_downloads") == true)
        // The stalled client leaves: its slot frees and a download goes through.
        stalled.shutdown()
        #expect(UploadMemoryEndToEndTests.waitFor { Self.gauge(lorad, "lorad_merge_downloads") == 0 })
        let ok = try Curl.run(["-X", "POST", lorad.baseURL + "/adapters/python-qv-r8/merge"])
        #expect(ok.status == 200)
        let metrics = try Curl.get(lorad.baseURL + "/metrics").text
        #expect(metrics.contains("lorad_rejected_requests_total{reason=\"merge_downloads_full\"} 1"))
    }
}
