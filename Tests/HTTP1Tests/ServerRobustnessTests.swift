import Foundation
import Glibc
import Testing
import TestSupport
@testable import HTTP1

@Suite(.serialized) struct ServerRobustnessTests {
    static let malformed: [(String, Int)] = [
        ("GET /health\r\nHost: x\r\n\r\n", 400),                                           // bad request line
        ("GET /health HTTP/1.1\r\n\r\n", 400),                                              // missing Host
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),  // bad chunk size
        ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400),      // bare LF in framing
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
        ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 40_000) + "\r\n\r\n", 431),
        ("GET /" + String(repeating: "a", count: 9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("GET /health HTTP/1.1\r\nHost: x\r\n obs-fold\r\n\r\n", 400),
        ("GET /health HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ]

    @Test(arguments: malformed.indices)
    func malformedRequestGetsItsStatusAndTheConnectionCloses(index: Int) async throws {
        let (raw, status) = Self.malformed[index]
        let f = try ServerFixture()
        let c = try TestClient(f.v4)
        try c.send(raw)
        let r = try c.readResponse()
        #expect(r.status == status)
        #expect(r.headers["Connection"] == "close")
        #expect(try c.isClosedByPeer())
        // The server still serves the next client.
        let next = try TestClient(f.v6)
        try next.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try next.readResponse().text == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func expectContinueIsSentOnlyWhenTheHandlerReadsTheBody() async throws {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 100
        let f = try ServerFixture(limits: limits)
        // The handler reads: interim 100, then the final answer.
        let c = try TestClient(f.v4)
        try c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        let interim = try c.readResponse()
        #expect(interim.status == 100)
        try c.send("hello")
        let final = try c.readResponse()
        #expect(final.status == 200)
        #expect(final.text == "hello")
        // The handler does not read: a final response straight away, then close.
        let c2 = try TestClient(f.v4)
        try c2.send("POST /ignore-body HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        let direct = try c2.readResponse()
        #expect(direct.status == 200)
        #expect(direct.headers["Connection"] == "close")
        // Too large for the route: 413 without 100.
        let c3 = try TestClient(f.v4)
        try c3.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
        #expect(try c3.readResponse().status == 413)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func streamingHandlerIsCancelledWhenTheClientDisconnects() async throws {
        struct State: Sendable {
            var written = 0
            var ended: String?
            var onCancelRan = false
        }
        let probe = Probe(State())
        let f = try ServerFixture { server in
            server.route(.GET, "/forever") { _, res in
                res.onCancel { probe.update { $0.onCancelRan = true } }
                let events = try await res.startEventStream()
                do {
                    while true {
                        try await events.send(data: "tick")
                        probe.update { $0.written += 1 }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                } catch {
                    probe.update { $0.ended = "\(error)" }
                    throw error
                }
            }
        }
        let c = try TestClient(f.v4)
        try c.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(probe.wait { $0.written >= 2 })
        let writtenAtClose = probe.get().written
        c.close()
        #expect(probe.wait { $0.ended != nil })
        let s = probe.get()
        #expect(s.onCancelRan)
        // At most the write already under way when the FIN arrived goes through.
        #expect(s.written - writtenAtClose <= 1, "writes after close: \(s.written - writtenAtClose)")
        #expect(f.server.connectionCount == 0 || probe.wait(seconds: 3) { _ in f.server.connectionCount == 0 })
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func clientClosingAfterTheLastByteOfALengthFramedBodyLeavesTheExchangeSucceeded() async throws {
        struct State: Sendable {
            var outcome: String?
            var onCancelRan = false
        }
        let probe = Probe(State())
        let clientClosed = Probe(false)
        let f = try ServerFixture { server in
            server.route(.GET, "/file") { _, res in
                res.onCancel { probe.update { $0.onCancelRan = true } }
                do {
                    try await res.start(contentLength: 10)
                    try await res.write("01234")
                    try await res.write("56789")
                    // The client has every byte and closes before this handler
                    // gets to `finish` (a merge download's last chunk).
                    while !clientClosed.get() { try await Task.sleep(for: .milliseconds(5)) }
                    try await Task.sleep(for: .milliseconds(200))
                    try await res.finish()
                    probe.update { $0.outcome = "finished" }
                } catch {
                    probe.update { $0.outcome = "\(error)" }
                    throw error
                }
            }
        }
        let c = try TestClient(f.v4)
        try c.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().text == "0123456789")
        c.close()
        clientClosed.update { $0 = true }
        #expect(probe.wait { $0.outcome != nil })
        #expect(probe.get().outcome == "finished")
        #expect(!probe.get().onCancelRan)
        #expect(probe.wait(seconds: 3) { _ in f.server.connectionCount == 0 })
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func clientClosingBeforeTheLastByteOfALengthFramedBodyCancelsTheHandler() async throws {
        let outcome = Probe<String?>(nil)
        let halfWritten = Probe(false)
        let f = try ServerFixture { server in
            server.route(.GET, "/file") { _, res in
                do {
                    try await res.start(contentLength: 10)
                    try await res.write("01234")
                    halfWritten.update { $0 = true }
                    while !res.isCancelled { try await Task.sleep(for: .milliseconds(5)) }
                    try await res.write("56789")
                    outcome.update { $0 = "written" }
                } catch {
                    outcome.update { $0 = "\(error)" }
                    throw error
                }
            }
        }
        let c = try TestClient(f.v4)
        try c.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(halfWritten.wait { $0 })
        c.close()
        #expect(outcome.wait { $0 != nil })
        #expect(outcome.get() != "written")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func slowlorisIsCutOffAtTheHeaderTimeoutWhileOthersAreServed() async throws {
        var limits = HTTPLimits()
        limits.headerReadTimeout = .seconds(1)
        let f = try ServerFixture(limits: limits)
        let slow = try TestClient(f.v4)
        let slowFD = slow.fd
        let sent = Probe(0)
        let stop = Probe(false)
        let senderDone = DispatchSemaphore(value: 0)
        let sender = Thread {
            defer { senderDone.signal() }
            for byte in Array("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " .utf8) + Array(repeating: UInt8(ascii: "z"), count: 100) {
                // Stop before the test closes the descriptor: a reused number
                // could belong to another test's socket by then.
                if stop.get() { return }
                var b = byte
                if Glibc.send(slowFD, &b, 1, Int32(MSG_NOSIGNAL)) != 1 { return }
                sent.update { $0 += 1 }
                usleep(200_000)
            }
        }
        sender.start()
        defer {
            stop.update { $0 = true }
            senderDone.wait()
        }
        // Meanwhile, other clients are served normally.
        for i in 0..<5 {
            let c = try TestClient(f.v6)
            try c.send("GET /hello/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().status == 200)
        }
        let r = try slow.readResponse()
        #expect(r.status == 408)
        #expect(try slow.isClosedByPeer())
        // Cut off long before the whole (slow) head was sent.
        #expect(sent.get() < 30)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func overTheConnectionLimitClientsGet503WhenNoConnectionIsIdle() async throws {
        var limits = HTTPLimits()
        limits.maxConnections = 2
        let f = try ServerFixture(limits: limits)
        let a = try TestClient(f.v4), b = try TestClient(f.v4)
        // Both busy: a request head under way on each.
        for c in [a, b] { try c.send("GET /health HTTP/1.1\r\n") }
        #expect(Probe(0).wait { _ in f.server.connectionCount == 2 && f.server.idleConnectionCount == 0 })
        let third = try TestClient(f.v4)
        let r = try third.readResponse()
        #expect(r.status == 503)
        #expect(r.headers["Retry-After"] == "1")
        a.close()
        // Once a slot frees up, new clients are served again.
        #expect(Probe(0).wait(seconds: 5) { _ in f.server.connectionCount < 2 })
        let fourth = try TestClient(f.v4)
        try fourth.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try fourth.readResponse().status == 200)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func slowReaderMakesTheHandlerWaitInsteadOfBuffering() async throws {
        let total = 48 << 20
        let pieceSize = 64 * 1024
        let accepted = Probe(0)
        let f = try ServerFixture { server in
            server.route(.GET, "/big") { _, res in
                try await res.start(contentLength: total)
                let piece = [UInt8](repeating: 0x61, count: pieceSize)
                var sent = 0
                while sent < total {
                    try await res.write(piece)
                    sent += piece.count
                    accepted.update { $0 = sent }
                }
                try await res.finish()
            }
        }
        let c = try TestClient(f.v4)
        try c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        // Read nothing until the server's socket takes no more (its send
        // buffer is full, the client's receive buffer too): from then on the
        // writer can only be suspended.
        #expect(accepted.wait { $0 > 0 })  // accepted, and the response under way
        let serverFD = try #require(SocketQueues.serverSide(of: c.fd))
        #expect(Probe(0).wait { _ in SocketQueues.sendBufferIsFull(serverFD) })
        // Every byte the handler got out is in a kernel queue or in the
        // connection's own queue, which back-pressure bounds by the high-water
        // mark plus the piece that crossed it. (Read the handler first: the
        // kernel queues only grow while nobody reads.)
        let stalledAt = accepted.get()
        let inKernel = SocketQueues.unsent(serverFD) + SocketQueues.unread(c.fd)
        let bound = inKernel + f.server.limits.writeBufferHighWater + pieceSize
        #expect(stalledAt <= bound, "handler got \(stalledAt) bytes out; kernel queues hold \(inKernel)")
        #expect(stalledAt < total)
        var received = 0
        var head = true
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var pending: [UInt8] = []
        while received < total {
            let n = buf.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            if head {
                pending += buf[0..<n]
                if let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                    received += pending.count - end.upperBound
                    head = false
                }
            } else {
                received += n
            }
        }
        #expect(received == total)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func gracefulShutdownFinishesInFlightRequestsAndRefusesNewOnes() async throws {
        let started = Probe(false)
        let release = Probe(false)
        let f = try ServerFixture { server in
            server.route(.GET, "/slow") { _, res in
                started.update { $0 = true }
                while !release.get() { try await Task.sleep(for: .milliseconds(10)) }
                try await res.send(text: "finished")
            }
        }
        let idle = try TestClient(f.v4)
        try idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponse()
        let c = try TestClient(f.v4)
        try c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(started.wait { $0 })
        let server = f.server
        let done = Probe(false)
        // Off the cooperative pool, which this test's blocking reads occupy.
        let shutdown = Task(executorPreference: DispatchQueueExecutor(queue: .global())) {
            await server.shutdown(gracePeriod: .seconds(10))
            done.update { $0 = true }
        }
        // New connections are refused once the listeners are closed…
        #expect(Probe(false).wait { _ in (try? TestClient(f.v4)) == nil })
        // …idle ones are closed, while the in-flight request is still running.
        #expect(try idle.isClosedByPeer())
        #expect(!done.get())
        release.update { $0 = true }
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.text == "finished")
        #expect(r.headers["Connection"] == "close")
        await shutdown.value
        #expect(done.get())
        #expect(server.connectionCount == 0)
    }

    @Test func thousandIdleConnectionsStayCheapAndDoNotBlockOthers() async throws {
        raiseOpenFileLimit()
        let f = try ServerFixture()
        let before = residentKiB()
        var clients: [TestClient] = []
        for _ in 0..<1000 {
            let c = try TestClient(f.v4)
            try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try c.readResponse()
            clients.append(c)
        }
        #expect(f.server.connectionCount == 1000)
        let other = try TestClient(f.v6)
        for i in 0..<20 {
            try other.send("GET /hello/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try other.readResponse().text == "hello \(i) q=-")
        }
        let after = residentKiB()
        let deltaKiB = after - before
        print("RSS with 1000 idle keep-alive connections (server + test clients in one process): \(before) KiB → \(after) KiB (+\(deltaKiB) KiB, \(deltaKiB / 1000) KiB per connection)")
        #expect(deltaKiB < 64 * 1024)
        clients.removeAll()
        await f.server.shutdown(gracePeriod: .seconds(2))
    }
}
