import Foundation
import Synchronization
import Testing
import TestSupport

/// The daemon's connection slots cannot be held by silent clients or
/// trickled bodies (`header_timeout_s`, `body_timeout_s`,
/// `body_min_rate_kib_s`), and it warns when `max_connections` cannot be
/// reached under the open-file limit.
@Suite(.serialized) struct ConnectionLimitsEndToEndTests {
    @Test func silentConnectionIsClosedAfterTheHeaderTimeout() throws {
        let lorad = try LoradProcess(arguments: ["--header-timeout-s", "0.3", "--idle-timeout-s", "60"])
        defer { lorad.cleanUp() }
        let silent = try RawConnection(port: lorad.port)
        // Closed with nothing said: before the fix it stayed open for idle_timeout_s.
        #expect(try silent.readUntilClose() == "")
    }

    @Test func bodyTrickledUnderTheBodyTimeoutGets408FromTheRateFloor() throws {
        let lorad = try LoradProcess(arguments: ["--body-timeout-s", "1", "--body-min-rate-kib-s", "1"])
        defer { lorad.cleanUp() }
        let c = try RawConnection(port: lorad.port)
        try c.send("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        final class Count: Sendable { let value = Atomic(0) }
        let sent = Count()
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer { done.signal() }
            // A byte every 100 ms: every pause far below body_timeout_s.
            for _ in 0..<100 {
                guard (try? c.send(" ")) == true else { return }
                sent.value.add(1, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.1)
            }
        }.start()
        let answer = try c.readUntilClose()
        done.wait()
        #expect(answer.hasPrefix("HTTP/1.1 408"))
        #expect(answer.contains("slower than 1024 bytes/s"))
        #expect(sent.value.load(ordering: .relaxed) < 100)
    }

    @Test func startUpWarnsWhenMaxConnectionsExceedsTheOpenFileLimit() throws {
        let low = try LoradProcess(arguments: ["--max-connections", "1024"], ulimits: ["-n 256"])
        defer { low.cleanUp() }
        #expect(low.stderr.contains("max_connections (1024) exceeds the open-file limit (256"))
        let fits = try LoradProcess(arguments: ["--max-connections", "100"], ulimits: ["-n 256"])
        defer { fits.cleanUp() }
        #expect(!fits.stderr.contains("open-file limit"))
    }

    /// Under `ulimit -v` OpenBLAS spins when it cannot map a buffer: the
    /// start-up log says so when the limit leaves less room than the
    /// configured budgets and buffers need, and stays quiet when it does not.
    @Test func startUpWarnsWhenTheAddressSpaceLimitLeavesNoRoomForTheBudgets() throws {
        let tight = try LoradProcess(ulimits: ["-v 1500000"])
        defer { tight.cleanUp() }
        #expect(tight.stderr.contains("the address-space limit (ulimit -v, RLIMIT_AS) is 1464 MiB"), "\(tight.stderr)")
        #expect(tight.stderr.contains("(1792 MiB)"), "the default budgets: kv 256 + adapters 512 + uploads 1024")
        let roomy = try LoradProcess(arguments: ["--kv-cache-mb", "16", "--adapter-cache-mb", "16", "--upload-buffer-mb", "16"],
                                     ulimits: ["-v 2500000"])
        defer { roomy.cleanUp() }
        #expect(!roomy.stderr.contains("address-space limit"), "\(roomy.stderr)")
        #expect(try Curl.postJSON(roomy.baseURL + "/v1/completions", ["prompt": "Hello", "max_tokens": 2]).status == 200)
    }
}
