import Testing
import Foundation
import TestSupport
@testable import Daemon

@Suite struct SystemdUnitTests {
    static let unitURL = Fixtures.repoRoot.appendingPathComponent("systemd/lorad.service")

    /// `[Service]` assignments in file order (a key may repeat, e.g. SystemCallFilter=).
    private func serviceSection() throws -> [(key: String, value: String)] {
        let text = try String(contentsOf: Self.unitURL, encoding: .utf8)
        var section = ""
        var out: [(String, String)] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") { section = line; continue }
            guard section == "[Service]", let eq = line.firstIndex(of: "=") else { continue }
            out.append((String(line[..<eq]), String(line[line.index(after: eq)...])))
        }
        return out
    }

    @Test func theUnitHasTheRequiredDirectives() throws {
        let service = try serviceSection()
        func values(_ key: String) -> [String] { service.filter { $0.key == key }.map(\.value) }
        let required: [String: String] = [
            "Type": "notify", "ExecStart": "/usr/local/bin/lorad serve --config /etc/lorad/lorad.conf",
            "DynamicUser": "yes", "StateDirectory": "lorad", "ConfigurationDirectory": "lorad",
            "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "NoNewPrivileges": "yes",
            "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "CapabilityBoundingSet": "",
            "Restart": "on-failure",
        ]
        for (key, value) in required {
            #expect(values(key) == [value], "\(key)")
        }
        #expect(values("SystemCallFilter").contains("@system-service"))
        #expect(values("Environment").contains { $0.hasPrefix("OPENBLAS_NUM_THREADS=") })
        #expect(values("LimitNOFILE").first.flatMap(Int.init) ?? 0 >= Configuration().maxConnections)
        #expect(values("WatchdogSec").first.flatMap(Double.init) ?? 0 > 0)
        // The stop timeout must outlast the drain deadline, or systemd SIGKILLs a clean drain.
        let stop = try #require(values("TimeoutStopSec").first.flatMap(Double.init))
        #expect(stop > Configuration().drainTimeoutSeconds)
    }

    /// The unit with binaries this machine has, so `verify` checks the rest.
    private func verifiableCopy() throws -> URL {
        var text = try String(contentsOf: Self.unitURL, encoding: .utf8)
        text = text.replacingOccurrences(of: "ExecStart=/usr/local/bin/lorad", with: "ExecStart=/bin/true")
        if !FileManager.default.isExecutableFile(atPath: "/bin/kill") {
            text = text.replacingOccurrences(of: "ExecReload=/bin/kill", with: "ExecReload=/bin/true")
        }
        let dir = try Fixtures.temporaryDirectory("lorad-unit")
        let url = dir.appendingPathComponent("lorad.service")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test(.enabled(if: ExternalTool.find("systemd-analyze") != nil, "needs systemd-analyze (apt-get install systemd)"))
    func systemdAnalyzeVerifiesTheUnit() throws {
        let tool = try #require(ExternalTool.find("systemd-analyze"))
        let copy = try verifiableCopy()
        let result = try ExternalTool.run(tool, ["verify", copy.path])
        #expect(result.status == 0, "\(result.stderr)")
        // verify exits 0 even for unknown keys; those warnings name the file.
        let complaints = result.stderr.split(separator: "\n").filter { $0.contains(copy.path) || $0.contains("lorad.service") }
        #expect(complaints.isEmpty, "\(complaints)")
    }

    @Test(.enabled(if: ExternalTool.find("systemd-analyze") != nil, "needs systemd-analyze (apt-get install systemd)"))
    func systemdAnalyzeRatesTheUnitWellHardened() throws {
        let tool = try #require(ExternalTool.find("systemd-analyze"))
        let copy = try verifiableCopy()
        let result = try ExternalTool.run(tool, ["security", "--offline=yes", "--no-pager", copy.path])
        // `--offline` exists since systemd 250; older ones cannot rate a unit file.
        try #require(result.status == 0 || !result.stderr.contains("offline"), "systemd-analyze without --offline")
        let overall = try #require(result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(overall.split(separator: " ").compactMap { Double($0) }.last)
        // 0 = fully locked down, 10 = unprotected; below 2 is systemd's "OK" band.
        #expect(score < 2, "\(overall)")
    }
}
