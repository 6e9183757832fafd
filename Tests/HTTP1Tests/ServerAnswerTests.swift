import Foundation
import Testing
@testable import HTTP1

/// Every response the server gives by itself reaches `onServerAnswer`, with
/// a reason word and never a value the client sent beyond method and path;
/// answers of a route's handler never do.
@Suite struct ServerAnswerTests {
    /// Sends `request` on a fresh connection, reads the answer, and returns
    /// its status with what `onServerAnswer` heard meanwhile.
    static func exchange(_ request: String, limits: HTTPLimits = HTTPLimits()) throws -> (status: Int, heard: [ServerAnswer]) {
        let heard = Probe<[ServerAnswer]>([])
        let f = try ServerFixture(limits: limits, onServerAnswer: { answer in heard.update { $0.append(answer) } })
        let c = try TestClient(f.v4)
        try c.send(request)
        let status = try c.readResponse().status
        // A refusal is reported before its response is written.
        _ = heard.wait(seconds: 2) { !$0.isEmpty }
        return (status, heard.get())
    }

    @Test func malformedRequestsAreReportedByTheirKindWithoutMethodOrPath() throws {
        let cases: [(String, Int, String)] = [
            ("GET /hello/x HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", 400, "badHeader"),
            ("GET /hello/x HTTP/1.1\r\n\r\n", 400, "missingHost"),
            ("GET /hello/x HTTP/2.0\r\nHost: x\r\n\r\n", 505, "unsupportedVersion"),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", 400, "badContentLength"),
        ]
        for (request, status, reason) in cases {
            let (answered, heard) = try Self.exchange(request)
            #expect(answered == status, "\(request)")
            #expect(heard == [ServerAnswer(status: status, method: nil, path: nil, reason: reason)], "\(request)")
        }
    }

    @Test func routingRefusalsAreReportedWithMethodAndPath() throws {
        let (notFound, heardNotFound) = try Self.exchange("GET /nowhere?token=secret HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(notFound == 404)
        #expect(heardNotFound == [ServerAnswer(status: 404, method: "GET", path: "/nowhere", reason: "noRoute")])
        let (notAllowed, heardNotAllowed) = try Self.exchange("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(notAllowed == 405)
        #expect(heardNotAllowed == [ServerAnswer(status: 405, method: "DELETE", path: "/health", reason: "methodNotAllowed")])
        var limits = HTTPLimits()
        limits.maxBodyBytes = 8
        let (tooLarge, heardTooLarge) = try Self.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n", limits: limits)
        #expect(tooLarge == 413)
        #expect(heardTooLarge == [ServerAnswer(status: 413, method: "POST", path: "/echo", reason: "bodyTooLarge")])
    }

    @Test func aHeadThatStopsHalfwayIsReportedAsAHeaderTimeout() throws {
        var limits = HTTPLimits()
        limits.headerReadTimeout = .milliseconds(200)
        let (status, heard) = try Self.exchange("GET /hello/x HTTP/1.1\r\nHo", limits: limits)
        #expect(status == 408)
        #expect(heard == [ServerAnswer(status: 408, method: nil, path: nil, reason: "headerTimeout")])
    }

    @Test func answersOfRouteHandlersAreNotReported() throws {
        for request in ["GET /hello/x HTTP/1.1\r\nHost: x\r\n\r\n", "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n",
                        "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{]"] {
            let heard = Probe<[ServerAnswer]>([])
            let f = try ServerFixture(onServerAnswer: { answer in heard.update { $0.append(answer) } })
            let c = try TestClient(f.v4)
            try c.send(request)
            _ = try c.readResponse()
            // A reported answer would have been reported before the response above was sent.
            #expect(heard.get().isEmpty, "\(request)")
        }
    }
}
