import Foundation
import Testing
@testable import HTTP1

/// A response sent before the request body has arrived ends the connection,
/// and its head says so (`Connection: close`), whatever the status.
@Suite(.serialized) struct EarlyResponseTests {
    @Test func earlyResponseAfterPartOfTheBodySaysConnectionCloseAndCloses() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("POST /read-one HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789")
        let r = try c.readResponse()
        #expect(r.status == 201)
        #expect(r.headers["Connection"] == "close")
        #expect(try c.isClosedByPeer())
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func earlyErrorFromAHandlerThatReadPartOfTheBodySaysConnectionClose() async throws {
        let f = try ServerFixture { server in
            server.route(.POST, "/refuse-after-one") { req, _ in
                _ = try await req.read()
                throw HTTPError(.unprocessableContent, "refused after the first piece")
            }
        }
        let c = try TestClient(f.v4)
        try c.send("POST /refuse-after-one HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789")
        let r = try c.readResponse()
        #expect(r.status == 422)
        #expect(r.headers["Connection"] == "close")
        #expect(try c.isClosedByPeer())
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func responseAfterTheWholeBodyKeepsTheConnection() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("POST /read-one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        let r = try c.readResponse()
        #expect(r.status == 201)
        #expect(r.headers["Connection"] == nil)
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().text == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }
}
