import Foundation
import Testing
@testable import HTTP1

@Suite(.serialized) struct ServerBasicsTests {
    @Test func getIsServedOverIPv4AndIPv6() async throws {
        let f = try ServerFixture()
        for address in [f.v4, f.v6] {
            let c = try TestClient(address)
            try c.send("GET /hello/w%C3%B6rld?q=a+b HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200)
            #expect(r.text == "hello wörld q=a b")
            #expect(r.headers["Server"] == "lorad-test")
            #expect(r.headers["Date"]?.hasSuffix("GMT") == true)
        }
        #expect(f.v4.port != 0 && f.v6.port != 0)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    /// Each request knows the listener it came in on (as `listen` returned
    /// it: the bound address with its real port) and its peer's address, so
    /// a server can treat its listeners differently.
    @Test func aRequestNamesTheListenerItCameInOn() async throws {
        let f = try ServerFixture()
        let v4b = try f.server.listen("127.0.0.1:0")
        for (address, peer) in [(f.v4, "127.0.0.1"), (f.v6, "::1"), (v4b, "127.0.0.1")] {
            let c = try TestClient(address)
            for _ in 0..<2 {   // and every request of a kept-alive connection
                try c.send("GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().text == "\(address) \(peer)")
            }
        }
        #expect(v4b != f.v4)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func keepAliveConnectionServesManyRequests() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        for i in 0..<20 {
            try c.send("GET /hello/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().text == "hello \(i) q=-")
        }
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("GET /hello/one HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwoGET /hello/three HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().text == "hello one q=-")
        #expect(try c.readResponse().text == "two")
        #expect(try c.readResponse().text == "hello three q=-")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func chunkedRequestBodyWithTrailersReachesTheHandler() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v6)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\nX-Sum: 99\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.text == "hello, world")
        #expect(r.headers["X-Trailer-Sum"] == "99")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func jsonIsDecodedAndBadJSONIsA400() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        let body = #"{"prompt":"hi","max_tokens":3}"#
        try c.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(try JSONDecoder().decode(ServerFixture.Echo.self, from: Data(r.body)) == .init(prompt: "hi", max_tokens: 3))
        let bad = #"{"prompt": 1}"#
        try c.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: \(bad.utf8.count)\r\n\r\n\(bad)")
        let r2 = try c.readResponse()
        #expect(r2.status == 400)
        #expect(r2.text.contains("prompt"))
        // The connection survives a handler-level 400.
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 404)
        try c.send("PUT /hello/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 405)
        #expect(Set((r.headers["Allow"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) == ["GET", "DELETE", "HEAD"])
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func handlerErrorsBecome500AndTheServerKeepsServing() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 500)
        try c.send("GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
        let t = try c.readResponse()
        #expect(t.status == 418)
        #expect(t.text == "short and stout\n")
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().text == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func headGetsHeadersWithoutBody() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("HEAD /hello/x HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let h = try c.readResponse(headRequest: true)
        #expect(h.status == 200)
        #expect(h.headers["Content-Length"] == "\("hello x q=-".utf8.count)")
        // If a body had been sent, this would parse garbage instead of the next response.
        #expect(try c.readResponse().text == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.headers["Connection"]?.lowercased() == "keep-alive")
        try c.send("GET /health HTTP/1.0\r\n\r\n")
        let r2 = try c.readResponse()
        #expect(r2.headers["Connection"] == "close")
        #expect(try c.isClosedByPeer())
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func streamedResponseIsChunkedWithTrailers() async throws {
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send("GET /stream?n=4 HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.headers["Transfer-Encoding"] == "chunked")
        #expect(r.text == "piece 0\npiece 1\npiece 2\npiece 3\n")
        #expect(r.trailers["X-Count"] == "4")
        // HTTP/1.0 gets a close-delimited body instead.
        let c10 = try TestClient(f.v4)
        try c10.send("GET /stream?n=2 HTTP/1.0\r\n\r\n")
        let r10 = try c10.readResponse()
        #expect(r10.text == "piece 0\npiece 1\n")
        #expect(r10.headers["Transfer-Encoding"] == nil)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func customErrorRendererShapesEveryServerError() async throws {
        let server = HTTPServer(serverName: "lorad-test") { error in
            let body = #"{"error":{"message":"\#(error.message)","type":"\#(error.type ?? "error")","code":\#(error.status.code)}}"#
            return ("application/json", Array(body.utf8))
        }
        server.route(.GET, "/only-get") { _, res in try await res.send(text: "x") }
        let address = try server.listen("127.0.0.1:0")
        let c = try TestClient(address)
        try c.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 404)
        #expect(r.headers["Content-Type"] == "application/json")
        struct Envelope: Decodable { struct E: Decodable { var type: String; var code: Int }; var error: E }
        let e = try JSONDecoder().decode(Envelope.self, from: Data(r.body))
        #expect(e.error.code == 404 && e.error.type == "not_found")
        // Parse errors go through the same renderer.
        let bad = try TestClient(address)
        try bad.send("BROKEN\r\n\r\n")
        let b = try bad.readResponse()
        #expect(b.status == 400)
        #expect(try JSONDecoder().decode(Envelope.self, from: Data(b.body)).error.type == "invalid_request_error")
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
