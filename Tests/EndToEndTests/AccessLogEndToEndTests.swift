import Foundation
import Testing
import TestSupport

/// Every request gets an access line, those the HTTP layer refuses before
/// any route runs (malformed, unknown route) included.
@Suite struct AccessLogEndToEndTests {
    @Test func requestsRefusedByTheHTTPLayerGetAnAccessLineNamingWhy() throws {
        let daemon = try LoradProcess(logLevel: "info")
        defer { daemon.cleanUp() }
        let malformed = try RawConnection(port: daemon.port)
        try malformed.send(Array("GET /health HTTP/1.1\r\nHost: x\r\nBad Header: secret-value\r\n\r\n".utf8))
        #expect(try malformed.readUntilClose().hasPrefix("HTTP/1.1 400"))
        let unknown = try Curl.get(daemon.baseURL + "/v2/nowhere?api_key=secret")
        #expect(unknown.status == 404)
        let served = try Curl.get(daemon.baseURL + "/v1/models")
        #expect(served.status == 200)
        let expected = ["request method=- path=- status=400 adapter=- reason=badHeader",
                        "request method=GET path=/v2/nowhere status=404 adapter=- reason=noRoute",
                        "request method=GET path=/v1/models status=200 adapter=- duration_ms="]
        #expect(ReplicaFleetEndToEndTests.eventually { expected.allSatisfy { daemon.stderr.contains($0) } }, "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("secret"))
    }
}
