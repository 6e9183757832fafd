import Testing
@testable import HTTP1

@Suite struct RequestDecoderTests {
    func heads(_ o: DecodeOutcome) -> [HTTPRequestHead] {
        o.events.compactMap { if case .head(let h) = $0 { h } else { nil } }
    }

    @Test func simpleGetYieldsHeadAndEnd() throws {
        let o = decode("GET /health HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        #expect(o.error == nil)
        #expect(o.events.count == 2)
        let h = try #require(heads(o).first)
        #expect(h.method == .GET)
        #expect(h.path == "/health")
        #expect(h.version == .http1_1)
        #expect(h.headers["ACCEPT"] == "*/*")
        #expect(h.keepAlive)
        #expect(h.framing == .none)
        #expect(o.events.last == .end(trailers: HTTPHeaders()))
    }

    @Test func pathAndQueryArePercentDecoded() throws {
        let o = decode("GET /adapters/my%20ad%2Fx/merge?adapter=a%3A0.5,b&q=x+y&empty HTTP/1.1\r\nHost: x\r\n\r\n")
        let h = try #require(heads(o).first)
        #expect(h.path == "/adapters/my ad/x/merge")
        #expect(h.pathSegments == ["adapters", "my ad/x", "merge"])
        #expect(h.query("adapter") == "a:0.5,b")
        #expect(h.query("q") == "x y")
        #expect(h.query("empty") == "")
        #expect(h.rawQuery == "adapter=a%3A0.5,b&q=x+y&empty")
    }

    @Test func repeatedHeadersAreKeptInOrder() throws {
        let h = try #require(heads(decode("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n\r\n")).first)
        #expect(h.headers.values("X-a") == ["1", "2"])
    }

    @Test func contentLengthBodyIsDelivered() {
        let o = decode("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(o.events.dropFirst() == [.body(Array("hello".utf8)), .end(trailers: HTTPHeaders())])
    }

    @Test func chunkedBodyWithTrailersIsDecoded() {
        let o = decode("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 42\r\n\r\n")
        #expect(o.error == nil)
        #expect(o.events.dropFirst() == [.body(Array("hello, world".utf8)), .end(trailers: ["X-Sum": "42"])])
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let o = decode(RequestCorpus.valid[5])
        #expect(heads(o).map(\.path) == ["/one", "/two", "/three"])
        #expect(heads(o).map(\.keepAlive) == [true, true, false])
    }

    @Test func keepAliveFollowsVersionRules() throws {
        #expect(try #require(heads(decode("GET / HTTP/1.0\r\n\r\n")).first).keepAlive == false)
        #expect(try #require(heads(decode("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).first).keepAlive)
        #expect(try #require(heads(decode("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n")).first).keepAlive == false)
    }

    @Test func expectContinueIsOnlyHonouredForHTTP11() throws {
        let e = "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"
        #expect(try #require(heads(decode(e)).first).expectsContinue)
        let e10 = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"
        #expect(try #require(heads(decode(e10)).first).expectsContinue == false)
    }

    @Test(arguments: [
        ("GET /\r\nHost: a\r\n\r\n", 400, HTTPParseError.Kind.badRequestLine),
        ("GET / HTTP/1.1\r\n\r\n", 400, .missingHost),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, .obsoleteLineFolding),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, .conflictingFraming),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400, .badChunk),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, .unsupportedTransferEncoding),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, .unsupportedVersion),
        ("GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n", 417, .unsupportedExpectation),
    ])
    func malformedRequestsGetTheRightStatus(input: String, status: Int, kind: HTTPParseError.Kind) {
        let o = decode(input)
        #expect(o.error?.status.code == status)
        #expect(o.error?.kind == kind)
    }

    static let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

    @Test(arguments: [
        "3\nabc\r\n0\r\n\r\n",              // chunk-size line
        "3;ext=1\nabc\r\n0\r\n\r\n",        // chunk-size line with an extension
        "3\r\nabc\n0\r\n\r\n",              // after chunk data
        "3\r\nabc\r\n0\n\r\n",              // last-chunk line
        "3\r\nabc\r\n0\r\nX-Sum: 1\n\r\n", // trailer line
        "3\r\nabc\r\n0\r\n\n",              // the empty line ending the trailers
    ])
    func bareLFInChunkedFramingIsA400(body: String) {
        let o = decode(Self.chunkedHead + body)
        #expect(o.error?.status.code == 400)
        #expect(o.error?.kind == .badChunk)
        #expect(o.error?.message.contains("CRLF") == true)
        // The same body with CRLF everywhere decodes.
        let fixed = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        #expect(decode(Self.chunkedHead + fixed).error == nil)
    }

    @Test func oversizedPartsHitTheirLimits() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 100
        limits.maxHeaderBytes = 200
        limits.maxHeaderCount = 5
        let longLine = "GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(decode(longLine, limits: limits).error?.status.code == 414)
        let bigHeader = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 300) + "\r\n\r\n"
        #expect(decode(bigHeader, limits: limits).error?.status.code == 431)
        let many = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: y\r\n", count: 6) + "\r\n"
        #expect(decode(many, limits: limits).error?.kind == .tooManyHeaders)
        // Limits apply before the line ends, so an endless line cannot grow the buffer.
        #expect(decode("GET /" + String(repeating: "a", count: 500), limits: limits).error?.status.code == 414)
    }

    @Test func bodyLimitIsEnforcedForBothFramings() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 4
        #expect(decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", limits: limits).error?.status.code == 413)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
        #expect(decode(chunked, limits: limits).error?.status.code == 413)
    }

    @Test func aChunkDeclaredPastTheLimitIsRefusedAtItsSizeLine() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 8
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        // No chunk data follows: the size alone decides.
        for size in ["9", "7fffffffffffffff"] {
            let outcome = decode(head + size + "\r\n", limits: limits)
            #expect(outcome.error?.status.code == 413, "chunk size \(size)")
            #expect(outcome.events.count == 1, "nothing past the head: \(outcome)")
        }
        // What the limit leaves after earlier chunks is what counts.
        #expect(decode(head + "5\r\nhello\r\n4\r\n", limits: limits).error?.status.code == 413)
        // A body exactly at the limit still arrives whole.
        let fits = decode(head + "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", limits: limits)
        #expect(fits.error == nil && fits.events.count == 3, "\(fits)")
    }

    @Test func perMessageBodyLimitCanBeRaisedAfterTheHead() throws {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 1
        var decoder = HTTPRequestDecoder(limits: limits)
        decoder.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello".utf8))
        guard case .head = try #require(try decoder.next()) else { Issue.record("no head"); return }
        decoder.bodyLimit = 10
        #expect(try decoder.next() == .body(Array("hello".utf8)))
    }

    @Test func errorsAreSticky() {
        var decoder = HTTPRequestDecoder()
        decoder.append(Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try decoder.next() }
        #expect(throws: HTTPParseError.self) { try decoder.next() }
    }
}
