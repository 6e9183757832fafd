import Dispatch
import Foundation
import Testing
@testable import HTTP1

/// The threading contract of `HTTPServer`: connections share serial event
/// loops, so handlers must not block — and blocking work that hops off the
/// loop (the daemon's `BlockingWork.run`) must leave every other connection
/// on that loop served.
@Suite struct EventLoopTests {
    /// The daemon's `BlockingWork.run`, reduced: run `body` on another queue and await it.
    static func offLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: body()) } }
    }

    @Test func blockingWorkHoppedOffTheLoopDoesNotStallOtherConnections() async throws {
        var limits = HTTPLimits()
        limits.eventLoopCount = 1  // every connection on the same loop as the blocked handler
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let f = try ServerFixture(limits: limits) { server in
            server.route(.GET, "/block") { _, res in
                let text = await Self.offLoop {
                    started.signal()
                    release.wait()  // a thread blocked for as long as the test wants
                    return "unblocked"
                }
                try await res.send(text: text)
            }
        }
        let blocked = try TestClient(f.v4)
        try blocked.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        started.wait()

        // While that handler's work is blocked, new and existing connections
        // on the same (only) loop are answered.
        let others = try (0..<4).map { i in try TestClient(i % 2 == 0 ? f.v4 : f.v6) }
        for (i, c) in others.enumerated() {
            try c.send("GET /hello/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().text == "hello \(i) q=-")
        }
        #expect(f.server.connectionCount == 5)

        release.signal()
        let r = try blocked.readResponse()
        #expect(r.status == 200)
        #expect(r.text == "unblocked")
        await f.server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func connectionsSpreadOverFewLoopsAllGetAnswersInterleaved() async throws {
        // 2 loops, 9 connections, requests interleaved across them: every
        // connection keeps its own order and gets its own answers.
        var limits = HTTPLimits()
        limits.eventLoopCount = 2
        let f = try ServerFixture(limits: limits)
        let clients = try (0..<9).map { _ in try TestClient(f.v4) }
        for round in 0..<3 {
            for (i, c) in clients.enumerated() { try c.send("GET /hello/\(i)?q=\(round) HTTP/1.1\r\nHost: x\r\n\r\n") }
            for (i, c) in clients.enumerated() { #expect(try c.readResponse().text == "hello \(i) q=\(round)") }
        }
        await f.server.shutdown(gracePeriod: .seconds(2))
    }
}
