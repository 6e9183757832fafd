import Foundation
import Testing
@testable import HTTP1

@Suite(.serialized) struct ServerStreamingTests {
    @Test func serverSentEventsAreFramedPerEvent() async throws {
        let f = try ServerFixture { server in
            server.route(.GET, "/events") { _, res in
                let events = try await res.startEventStream()
                try await events.send(data: "first")
                try await events.send(data: "line one\nline two", event: "multi", id: "2")
                try await events.comment("ping")
                try await events.send(data: "[DONE]")
                try await events.finish()
            }
        }
        let c = try TestClient(f.v4)
        try c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.headers["Content-Type"] == "text/event-stream")
        #expect(r.headers["Cache-Control"] == "no-cache")
        #expect(r.text == "data: first\n\nevent: multi\nid: 2\ndata: line one\ndata: line two\n\n: ping\n\ndata: [DONE]\n\n")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        var limits = HTTPLimits()
        limits.idleTimeout = .milliseconds(300)
        let f = try ServerFixture(limits: limits)
        let c = try TestClient(f.v4)
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        // The client's read blocks until the server closes the idle connection.
        #expect(try c.isClosedByPeer())
        #expect(Probe(0).wait(seconds: 5) { _ in f.server.connectionCount == 0 })
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func handlerMayWriteFromAnotherTask() async throws {
        let f = try ServerFixture { server in
            server.route(.GET, "/detached") { _, res in
                try await res.start()
                // A write issued outside the handler's own task still lands in order.
                try await Task.detached { try await res.write("from a detached task\n") }.value
                try await res.write("from the handler\n")
                try await res.finish()
            }
        }
        let c = try TestClient(f.v6)
        try c.send("GET /detached HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().text == "from a detached task\nfrom the handler\n")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }
}
