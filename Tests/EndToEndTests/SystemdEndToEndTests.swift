import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real binary under a stand-in for systemd (`$NOTIFY_SOCKET`,
/// `$WATCHDOG_USEC`): the notify lifecycle, SIGHUP reloads and SIGTERM drains.
@Suite struct SystemdEndToEndTests {
    static func lines(_ message: String) -> [Substring] { message.split(separator: "\n") }

    @Test func readyOnlyOnceHealthyThenWatchdogPingsStatusAndStoppingOnSigterm() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-notify")
        let listener = try NotifyListener(directory: dir)
        defer { listener.stop() }
        let daemon = try LoradProcess(directory: dir, environment: ["NOTIFY_SOCKET": listener.address,
                                                                    "WATCHDOG_USEC": "2000000"])
        defer { daemon.cleanUp() }

        let atReady = listener.wait { NotifyListener.count("READY=1", in: $0) > 0 }
        let probe = try #require(listener.snapshot().readyProbe, "no READY=1 received: \(atReady)")
        // READY=1 came after the listening line and when /health already said 200.
        #expect(probe.stdout.contains("lorad: listening on http://127.0.0.1:\(daemon.port)"))
        #expect(probe.healthStatus == 200)
        // Before READY: one EXTEND_TIMEOUT_USEC for the load (a minute plus a
        // second per 100 MB of weights), then nothing but watchdog pings.
        let firstReady = try #require(atReady.firstIndex { Self.lines($0).contains("READY=1") })
        let extend = try #require(atReady.first { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") }, "\(atReady)")
        let weights = try #require(try FileManager.default.attributesOfItem(
            atPath: Fixtures.tinyLlama.appendingPathComponent("model.safetensors").path)[.size] as? Int)
        #expect(UInt64(extend.dropFirst("EXTEND_TIMEOUT_USEC=".count)) == UInt64((60 + Double(weights) / 100e6) * 1_000_000))
        #expect(atReady.firstIndex(of: extend)! < firstReady)
        #expect(atReady[..<firstReady].allSatisfy { $0 == "WATCHDOG=1" || $0 == extend }, "\(atReady)")

        // STATUS= names the model and the adapter counts; /health is the peer.
        let ready = atReady[firstReady]
        let status = try #require(Self.lines(ready).first { $0.hasPrefix("STATUS=") })
        let health = try Curl.get(daemon.baseURL + "/health").json()
        let model = try #require(health["model"] as? String)
        #expect(status.contains("serving \(model) on 127.0.0.1:\(daemon.port)"), "\(status)")
        #expect(status.contains("adapters: \(health["adapters"] as? Int ?? -1) stored, 0 resident"), "\(status)")

        // WATCHDOG_USEC = 2 s: the idle daemon keeps pinging (sd_watchdog_enabled(3): at half the timeout).
        let pinged = listener.wait { messages in
            NotifyListener.count("WATCHDOG=1", in: Array(messages.dropFirst(firstReady + 1))) >= 2
        }
        #expect(NotifyListener.count("WATCHDOG=1", in: Array(pinged.dropFirst(firstReady + 1))) >= 2, "\(pinged)")

        #expect(daemon.stop() == 0, "SIGTERM must drain and exit 0")
        let end = listener.wait { NotifyListener.count("STOPPING=1", in: $0) > 0 }
        #expect(NotifyListener.count("STOPPING=1", in: end) == 1, "\(end)")
        #expect(NotifyListener.count("READY=1", in: end) == 1)
    }

    @Test func sighupReloadsTokenFilesAndLogLevelAndKeepsTheOldTokenOnABadFile() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-reload")
        let token = dir.appendingPathComponent("admin.token"), config = dir.appendingPathComponent("lorad.conf")
        try Data("old-admin-token\n".utf8).write(to: token)
        func writeConfig(logLevel: String, maxBatch: Int = 8) throws {
            try Data("admin_token_file = \(token.path)\nlog_level = \(logLevel)\nmax_batch = \(maxBatch)\n".utf8).write(to: config)
        }
        try writeConfig(logLevel: "warning")
        let listener = try NotifyListener(directory: dir)
        defer { listener.stop() }
        let daemon = try LoradProcess(directory: dir, arguments: ["--config", config.path],
                                      environment: ["NOTIFY_SOCKET": listener.address], logLevel: nil)
        defer { daemon.cleanUp() }
        listener.wait { NotifyListener.count("READY=1", in: $0) == 1 }

        // DELETE of a missing adapter: 403 = token refused, 404 = token accepted.
        func delete(_ bearer: String) throws -> Int {
            try Curl.delete(daemon.baseURL + "/adapters/missing", headers: ["Authorization: Bearer \(bearer)"]).status
        }
        func reload(expectReady count: Int) throws {
            daemon.send(SIGHUP)
            let messages = listener.wait { NotifyListener.count("READY=1", in: $0) == count }
            try #require(NotifyListener.count("READY=1", in: messages) == count, "no READY=1 after SIGHUP: \(messages)")
            // RELOADING=1 with MONOTONIC_USEC (sd_notify(3)) came before that READY=1.
            let reloading = try #require(messages.last { Self.lines($0).contains("RELOADING=1") })
            #expect(Self.lines(reloading).contains { $0.hasPrefix("MONOTONIC_USEC=") && UInt64($0.dropFirst(15)) != nil })
            #expect(messages.lastIndex(of: reloading)! < messages.lastIndex { Self.lines($0).contains("READY=1") }!)
        }
        #expect(try delete("old-admin-token") == 404)
        #expect(try delete("new-admin-token") == 401)
        _ = try Curl.get(daemon.baseURL + "/v1/models")
        #expect(!daemon.stderr.contains("path=/v1/models"), "access lines are info: not written at warning")

        try Data("new-admin-token\n".utf8).write(to: token)
        try writeConfig(logLevel: "info", maxBatch: 4)
        try reload(expectReady: 2)
        #expect(try delete("old-admin-token") == 401)
        #expect(try delete("new-admin-token") == 404)
        _ = try Curl.get(daemon.baseURL + "/v1/models")
        #expect(daemon.stderr.contains("path=/v1/models"), "log_level = info must be in force after SIGHUP")
        #expect(daemon.stderr.contains("max_batch"), "a changed restart-only key is reported")

        // A botched rotation (empty file) keeps the token in force and says so.
        try Data("\n".utf8).write(to: token)
        try reload(expectReady: 3)
        #expect(try delete("new-admin-token") == 404)
        #expect(daemon.stderr.contains("token file unusable"))
        #expect(daemon.stop() == 0)
    }

    @Test func sigtermDuringAStreamLetsItFinishAndLeavesASoundRegistry() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        try #require(try LiveChangeEndToEndTests.upload(daemon, "python-qv-r8", as: "kept").status == 201)
        let tokens = LiveChangeEndToEndTests.longTokens
        let expected = try Curl.postJSON(daemon.baseURL + "/v1/completions",
                                         ["prompt": LiveChangeEndToEndTests.prompt, "max_tokens": tokens, "temperature": 0, "model": "kept"])
        let expectedText = try #require((try expected.json()["choices"] as? [[String: Any]])?.first?["text"] as? String)
        let stream = try Curl.startJSON(daemon.baseURL + "/v1/completions",
                                        ["prompt": LiveChangeEndToEndTests.prompt, "max_tokens": tokens, "temperature": 0,
                                         "stream": true, "model": "kept"])
        let deadline = Date().addingTimeInterval(60)
        while !stream.bodySoFar.contains("data: {") && stream.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        #expect(!stream.bodySoFar.contains("[DONE]"), "SIGTERM must land while the stream runs")
        let status = daemon.stop()
        let r = stream.wait()
        #expect(status == 0, "SIGTERM must drain and exit 0")
        #expect(r.status == 200)
        let parsed = try #require(Curl.streamedText(r.text), "malformed stream: \(r.text.prefix(300))")
        #expect(parsed.done, "the stream must end with data: [DONE]")
        #expect(parsed.finish == "length")
        #expect(parsed.text == expectedText, "the drained stream is the whole completion")

        let report = try RegistryProbe.check(daemon.registry)
        #expect(report.integrity == "ok")
        #expect(report.corrupt.isEmpty)
        #expect(report.hashes.keys.contains("kept"))
    }
}
