import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The daemon whatever its standard streams are: a closed stdout (its
/// `listening on` line cannot be written) or closed stdin, stdout and stderr
/// (the descriptors a socket or the registry would otherwise take) leave it
/// serving, and nothing it logs lands in its files.
@Suite struct StandardStreamsEndToEndTests {
    /// A port free a moment ago (bound to 0, read back, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test(arguments: [">&-", "<&- >&- 2>&-"])
    func aDaemonWithClosedStandardStreamsServes(_ redirections: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-streams")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try Self.freePort()
        let registry = dir.appendingPathComponent("registry.sqlite")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" \"$@\" \(redirections)", try LoradBinary.url().path, "serve",
                             "--listen", "127.0.0.1:\(port)", "--registry", registry.path, "--model", Fixtures.tinyLlama.path,
                             "--threads", "1", "--log-level", "debug"]
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        let base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(60)
        var health = 0
        while Date() < deadline, process.isRunning, health != 200 {
            health = (try? Curl.get(base + "/health").status) ?? 0
            if health != 200 { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(health == 200, "exited: \(!process.isRunning)")
        let body: [String: Any] = ["prompt": "The", "max_tokens": 4, "temperature": 0]
        #expect(try Curl.postJSON(base + "/v1/completions", body).status == 200)
        #expect(try Curl.upload(base, name: "python", config: Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_config.json"),
                                weights: Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_model.safetensors")).status == 201)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The registry (opened after the closed descriptors were taken) holds
        // the upload and no log text.
        let listed = try ExternalTool.run(try LoradBinary.url().path, ["adapters", "list", "--registry", registry.path])
        #expect(listed.status == 0 && listed.stdout.contains("python"), "\(listed.stdout)\(listed.stderr)")
    }
}
