import Foundation
import Glibc
import Testing
@testable import HTTP1

/// A client that pipelines many requests and does not read the responses:
/// the server stops beginning exchanges while the connection's unsent output
/// is above `writeBufferHighWater` (instead of queueing every response in
/// memory), and answers the rest, in order, once the client reads.
@Suite(.serialized) struct ServerPipeliningTests {
    static let responseSize = 64 * 1024
    /// 32 MiB of responses: far more than the high-water mark plus what the
    /// kernel's socket buffers take from a client that reads nothing.
    static let requests = 512

    /// What the handlers saw.
    struct Seen: Sendable {
        var begun = 0
        var connection: Connection?
    }

    /// `/blob/:i` answers `responseSize` bytes that start with `i` and a newline.
    static func fixture(_ seen: Probe<Seen>, limits: HTTPLimits = HTTPLimits()) throws -> ServerFixture {
        try ServerFixture(limits: limits) { server in
            server.route(.GET, "/blob/:i") { req, res in
                seen.update {
                    $0.begun += 1
                    $0.connection = req.exchange.connection
                }
                var body = Array("\(req.parameter("i") ?? "?")\n".utf8)
                body += [UInt8](repeating: 0x78, count: responseSize - body.count)
                try await res.send(body: body)
            }
        }
    }

    static var pipeline: String {
        (0..<requests).map { "GET /blob/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
    }

    /// Waits until the server will do nothing more for a client that reads
    /// nothing — it waits for its output to drain, or (without the bound) has
    /// answered every request into its queue — then checks what it holds.
    static func checkStalled(_ f: ServerFixture, _ c: TestClient, _ seen: Probe<Seen>) throws {
        #expect(seen.wait { $0.begun > 0 })  // accepted
        let serverFD = try #require(SocketQueues.serverSide(of: c.fd))
        var held = (pending: 0, waiting: false)
        let stalled = Probe(0).wait(seconds: 60) { _ in
            let s = seen.get()
            guard let connection = s.connection else { return false }
            held = connection.perform { (connection.output.pending, connection.input.isPaused && connection.exchange == nil) }
            return s.begun == requests || (held.waiting && SocketQueues.sendBufferIsFull(serverFD))
        }
        #expect(stalled)
        let begun = seen.get().begun
        let inKernel = SocketQueues.unsent(serverFD) + SocketQueues.unread(c.fd)
        let highWater = f.server.limits.writeBufferHighWater
        print("pipelined \(requests) × \(responseSize) bytes, read nothing: \(begun) exchanges begun; "
              + "\(held.pending) bytes queued in the connection, \(inKernel) in kernel buffers")
        // The exchange that crossed the high-water mark added one whole response.
        #expect(held.pending <= highWater + responseSize, "\(held.pending) bytes queued")
        // Every response begun is in the kernel's buffers or the connection's queue.
        #expect(begun <= (inKernel + highWater) / responseSize + 2, "\(begun) exchanges begun")
        #expect(begun < requests)
    }

    /// Reads the `requests` responses; each must be whole and in order.
    static func readAll(_ c: TestClient) throws {
        for i in 0..<requests {
            let r = try c.readResponse()
            let prefix = Array("\(i)\n".utf8)
            guard r.status == 200, r.body.count == responseSize, r.body.starts(with: prefix) else {
                Issue.record("response \(i): status \(r.status), \(r.body.count) bytes, starts \(r.text.prefix(8).debugDescription)")
                return
            }
        }
    }

    @Test func pipelinedRequestsWaitWhileTheClientDoesNotRead() async throws {
        let seen = Probe(Seen())
        let f = try Self.fixture(seen)
        let c = try TestClient(f.v4)
        try c.send(Self.pipeline)
        try Self.checkStalled(f, c, seen)
        try Self.readAll(c)
        // The connection stays usable.
        try c.send("GET /blob/last HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().text.hasPrefix("last\n"))
        #expect(seen.get().begun == Self.requests + 1)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func aClientThatHalfClosesAfterItsRequestsGetsEveryResponse() async throws {
        // Short idle and header timeouts: neither may cut a connection that
        // waits to send.
        var limits = HTTPLimits()
        limits.idleTimeout = .milliseconds(200)
        limits.headerReadTimeout = .milliseconds(200)
        let seen = Probe(Seen())
        let f = try Self.fixture(seen, limits: limits)
        let c = try TestClient(f.v4)
        try c.send(Self.pipeline)
        shutdown(c.fd, Int32(SHUT_WR))
        try Self.checkStalled(f, c, seen)
        // Longer than both: a timer that wrongly fires has done so by now.
        usleep(600_000)
        try Self.readAll(c)
        #expect(try c.isClosedByPeer())
        #expect(seen.get().begun == Self.requests)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func aHalfCloseWhileTheLastPipelinedRequestRunsStillGetsItsResponse() async throws {
        let running = Probe<Connection?>(nil)
        let release = Probe(false)
        let f = try ServerFixture { server in
            server.route(.GET, "/slow") { req, res in
                running.update { $0 = req.exchange.connection }
                while !release.get() { try await Task.sleep(for: .milliseconds(5)) }
                try await res.send(text: "slow done")
            }
        }
        let c = try TestClient(f.v4)
        try c.send("GET /hello/one HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(running.wait { $0 != nil })
        let connection = try #require(running.get())
        shutdown(c.fd, Int32(SHUT_WR))
        // The server reads the FIN while the last request's handler runs,
        // with nothing after it buffered.
        #expect(Probe(0).wait { _ in connection.perform { connection.peerEOF } })
        release.update { $0 = true }
        #expect(try c.readResponse().text == "hello one q=-")
        #expect(try c.readResponse().text == "slow done")
        #expect(try c.isClosedByPeer())
        await f.server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func aPipeliningClientThatReadsNothingIsCutAtTheWriteTimeout() async throws {
        var limits = HTTPLimits()
        limits.writeTimeout = .milliseconds(500)
        let seen = Probe(Seen())
        let f = try Self.fixture(seen, limits: limits)
        let c = try TestClient(f.v4)
        try c.send(Self.pipeline)
        #expect(seen.wait { $0.begun > 0 })
        // The idle and header timers must not close it first (it is waiting
        // to send, not idle), nor may it wait forever.
        #expect(Probe(0).wait(seconds: 30) { _ in f.server.connectionCount == 0 })
        #expect(seen.get().begun < Self.requests)
        await f.server.shutdown(gracePeriod: .seconds(1))
    }
}
