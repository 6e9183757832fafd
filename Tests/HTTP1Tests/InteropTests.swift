import TestSupport
import Foundation
import Testing
@testable import HTTP1

/// Real clients — curl and Python's http.client — against the server.
@Suite(.serialized) struct InteropTests {
    static let curl = "/usr/bin/curl"
    static let haveCurl = FileManager.default.isExecutableFile(atPath: curl)
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"].flatMap { path in
            path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }

    /// Runs a tool; returns (exit status, stdout, stderr).
    static func run(_ tool: String, _ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func uploadServer() throws -> (ServerFixture, URL) {
        let dir = try Fixtures.temporaryDirectory("lorad-http")
        let f = try ServerFixture { server in
            server.route(.POST, "/adapters", maxBodyBytes: 600 << 20) { req, res in
                let form = try req.multipart(limits: MultipartLimits(maxPartBytes: 512 << 20))
                var fields: [String: String] = [:]
                while let part = try await form.nextPart() {
                    if let filename = part.filename {
                        let size = try await part.write(to: dir.appendingPathComponent(part.name))
                        fields[part.name] = "\(filename):\(size)"
                    } else {
                        fields[part.name] = try await part.text()
                    }
                }
                try await res.sendJSON(.created, fields)
            }
        }
        return (f, dir)
    }

    @Test(.enabled(if: haveCurl)) func curlGetPostJSONKeepAliveAndHTTP10() async throws {
        let f = try ServerFixture()
        let base = "http://127.0.0.1:\(f.v4.port)"
        let (s1, o1, _) = try Self.run(Self.curl, ["-sS", "\(base)/hello/curl?q=1"])
        #expect(s1 == 0)
        #expect(o1 == "hello curl q=1")
        let (s2, o2, _) = try Self.run(Self.curl, ["-sS", "-H", "Content-Type: application/json", "-d", #"{"prompt":"p","max_tokens":7}"#, "\(base)/json"])
        #expect(s2 == 0)
        #expect(try JSONDecoder().decode(ServerFixture.Echo.self, from: Data(o2.utf8)) == .init(prompt: "p", max_tokens: 7))
        let (s3, o3, _) = try Self.run(Self.curl, ["-sS", "--http1.0", "\(base)/health"])
        #expect(s3 == 0 && o3 == "ok")
        // Two URLs in one invocation reuse the connection.
        let (s4, o4, e4) = try Self.run(Self.curl, ["-sSv", "\(base)/health", "\(base)/hello/again"])
        #expect(s4 == 0)
        #expect(o4 == "okhello again q=-")
        #expect(e4.contains("Re-using existing connection") || e4.contains("Reusing existing"))
        // IPv6 too.
        let (s5, o5, _) = try Self.run(Self.curl, ["-sS", "http://[::1]:\(f.v6.port)/health"])
        #expect(s5 == 0 && o5 == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test(.enabled(if: haveCurl)) func curlMultipartUploadOf50MBUsesExpectContinue() async throws {
        let (f, dir) = try Self.uploadServer()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("upload.bin")
        // 50 MiB: a random MiB tiled 50 times, each copy stamped with its index
        // (generating 50 MiB byte by byte is slow in a debug build).
        var rng = SplitMix64(seed: 50)
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for i in block.indices { block[i] = UInt8(truncatingIfNeeded: rng.next()) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(50 << 20)
        for k in 0..<50 {
            block[0] = UInt8(k)
            bytes += block
        }
        try Data(bytes).write(to: source)
        let (status, out, err) = try Self.run(Self.curl, [
            "-sS", "-v", "-w", "\\n%{time_total}",
            "-F", "name=big-adapter", "-F", "weights=@\(source.path)",
            "http://127.0.0.1:\(f.v4.port)/adapters",
        ])
        #expect(status == 0, "\(err)")
        #expect(err.contains("HTTP/1.1 100 Continue"), "curl did not get 100 Continue")
        #expect(err.contains("Expect: 100-continue"))
        let lines = out.split(separator: "\n")
        let json = try JSONDecoder().decode([String: String].self, from: Data((lines.first ?? "").utf8))
        #expect(json == ["name": "big-adapter", "weights": "upload.bin:\(50 << 20)"])
        #expect(try Data(contentsOf: dir.appendingPathComponent("weights")) == Data(bytes))
        print("curl -F 50 MB multipart upload with Expect: 100-continue: \(lines.last ?? "?") s total")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test(.enabled(if: python != nil)) func pythonHTTPClientInteroperates() async throws {
        let f = try ServerFixture()
        let script = """
        import http.client, json, sys
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
        out = []
        c.request("GET", "/hello/py?q=x%20y")
        r = c.getresponse(); out.append([r.status, r.read().decode()])
        sock = c.sock
        c.request("POST", "/json", body=json.dumps({"prompt": "p"}), headers={"Content-Type": "application/json"})
        r = c.getresponse(); out.append([r.status, json.loads(r.read())])
        c.request("GET", "/stream?n=2")
        r = c.getresponse(); out.append([r.status, r.read().decode()])
        c.request("POST", "/echo", body=iter([b"ab", b"cd"]), encode_chunked=True)
        r = c.getresponse(); out.append([r.status, r.read().decode()])
        out.append(c.sock is sock)
        c6 = http.client.HTTPConnection("::1", int(sys.argv[2]), timeout=10)
        c6.request("GET", "/health"); r = c6.getresponse(); out.append([r.status, r.read().decode()])
        print(json.dumps(out))
        """
        let (status, out, err) = try Self.run(try #require(Self.python), ["-c", script, "\(f.v4.port)", "\(f.v6.port)"])
        #expect(status == 0, "\(err)")
        let expected = #"[[200, "hello py q=x y"], [200, {"prompt": "p"}], [200, "piece 0\npiece 1\n"], [200, "abcd"], true, [200, "ok"]]"#
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }
}
