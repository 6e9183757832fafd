import Foundation
import Glibc
import Testing
@testable import HTTP1

/// Connection slots cannot be held by clients that send nothing, or a body a
/// byte at a time; at the connection limit idle connections make room.
@Suite(.serialized) struct ServerTimeoutTests {
    @Test func silentNewConnectionIsClosedAtTheHeaderTimeoutNotTheIdleTimeout() async throws {
        var limits = HTTPLimits()
        limits.headerReadTimeout = .milliseconds(300)
        limits.idleTimeout = .seconds(60)  // longer than the client's 10 s read timeout
        let f = try ServerFixture(limits: limits)
        let silent = try TestClient(f.v4)
        // Closed without an answer (nothing was asked), long before the idle timeout.
        #expect(try silent.isClosedByPeer())
        // A keep-alive connection between requests still gets the idle timeout.
        let kept = try TestClient(f.v4)
        try kept.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try kept.readResponse().text == "ok")
        #expect(Probe(0).wait { _ in f.server.connectionCount == 1 })
        try kept.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try kept.readResponse().text == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func bodyTrickledFasterThanTheStallTimeoutIsCutOffByTheRateFloor() async throws {
        var limits = HTTPLimits()
        limits.bodyReadTimeout = .seconds(1)
        limits.minBodyBytesPerSecond = 100
        let f = try ServerFixture(limits: limits)
        let slow = try TestClient(f.v4)
        try slow.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n")
        // One byte every 100 ms: each pause is a tenth of the stall timeout,
        // but 10 bytes/s is far below the floor of 100 bytes/s.
        let sent = Probe(0)
        let stop = Probe(false)
        let senderDone = DispatchSemaphore(value: 0)
        let fd = slow.fd
        Thread {
            defer { senderDone.signal() }
            for _ in 0..<100 {
                if stop.get() { return }
                var b = UInt8(ascii: "z")
                if Glibc.send(fd, &b, 1, Int32(MSG_NOSIGNAL)) != 1 { return }
                sent.update { $0 += 1 }
                usleep(100_000)
            }
        }.start()
        defer {
            stop.update { $0 = true }
            senderDone.wait()
        }
        let r = try slow.readResponse()
        #expect(r.status == 408)
        #expect(r.text.contains("slower than 100 bytes/s"))
        #expect(r.headers["Connection"] == "close")
        // Cut off long before the trickle (or the body) would have ended.
        #expect(sent.get() < 100)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func bodyPauseLongerThanTheBodyTimeoutGets408() async throws {
        var limits = HTTPLimits()
        limits.bodyReadTimeout = .milliseconds(300)
        limits.minBodyBytesPerSecond = 0
        let f = try ServerFixture(limits: limits)
        let c = try TestClient(f.v4)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let r = try c.readResponse()
        #expect(r.status == 408)
        #expect(r.text.contains("no request body bytes"))
        #expect(try c.isClosedByPeer())
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func atTheConnectionLimitTheLongestIdleConnectionMakesRoom() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 2
        let f = try ServerFixture(limits: limits)
        let a = try TestClient(f.v4), b = try TestClient(f.v4)
        for c in [a, b] {
            try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().status == 200)
        }
        #expect(Probe(0).wait { _ in f.server.idleConnectionCount == 2 })
        // A third client is served instead of refused: `a`, idle the longest, is closed.
        let third = try TestClient(f.v4)
        try third.send("GET /hello/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try third.readResponse().text == "hello 3 q=-")
        #expect(try a.isClosedByPeer())
        try b.send("GET /hello/b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try b.readResponse().text == "hello b q=-")
        #expect(f.server.connectionCount == 2)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }
}
