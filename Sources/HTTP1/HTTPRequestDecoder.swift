/// An incremental HTTP/1.1 request parser (RFC 9112) as a value type: feed it
/// byte chunks of any size with `append`, pull events with `next()`.
///
/// It knows no sockets, so every framing rule is testable on plain buffers.
/// Splitting the input differently never changes the events (after merging
/// adjacent `body` pieces) or the error — the property the tests check.
///
/// ```swift
/// var decoder = HTTPRequestDecoder()
/// decoder.append(bytes)
/// while let event = try decoder.next() { … }
/// ```
public struct HTTPRequestDecoder: Sendable {
    public let limits: HTTPLimits

    /// Most body bytes the current message may carry. Reset to
    /// `limits.maxBodyBytes` at every head; the server lowers or raises it per
    /// route after seeing the head. Exceeding it throws 413.
    public var bodyLimit: Int

    private enum State: Sendable {
        case head
        case fixed(remaining: Int)
        case chunked(ChunkedDecoder)
        case end(trailers: HTTPHeaders)
        case failed(HTTPParseError)
    }

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state: State = .head
    private var bodyReceived = 0
    /// Content-Length still to be checked against `bodyLimit` before the first
    /// body byte is released.
    private var pendingLength: Int?

    // Head scanning progress, relative to `readIndex`.
    private var headScanned = 0
    private var requestLineEnd: Int?
    private var headLineStart = 0
    private var headerLines = 0

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        self.bodyLimit = limits.maxBodyBytes
    }

    /// Bytes received but not yet turned into events.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between messages with nothing buffered: the connection is idle.
    public var isIdle: Bool {
        if case .head = state { return readIndex == buffer.count }
        return false
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            if buffer.capacity > 64 * 1024 {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            readIndex = 0
        } else if readIndex >= 16 * 1024, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    /// The next event, nil when more bytes are needed. A thrown error is final:
    /// every later call throws it again.
    public mutating func next() throws(HTTPParseError) -> HTTPRequestDecoderEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> HTTPRequestDecoderEvent? {
        switch state {
        case .failed(let error):
            throw error
        case .head:
            guard let head = try scanHead() else { return nil }
            return .head(head)
        case .end(let trailers):
            state = .head
            return .end(trailers: trailers)
        case .fixed(let remaining):
            if let length = pendingLength {
                pendingLength = nil
                if length > bodyLimit { throw tooLarge() }
            }
            let available = buffer.count - readIndex
            guard available > 0 else { return nil }
            let n = min(available, remaining)
            let piece = Array(buffer[readIndex..<(readIndex + n)])
            readIndex += n
            bodyReceived += n
            state = remaining == n ? .end(trailers: HTTPHeaders()) : .fixed(remaining: remaining - n)
            return .body(piece)
        case .chunked(var chunked):
            let event = try chunked.next(buffer, &readIndex, limits)
            state = .chunked(chunked)
            if case .data(let slice) = event { bodyReceived += slice.count }
            if bodyReceived > bodyLimit { throw tooLarge() }
            // A chunk declared larger than what the limit leaves is refused
            // at its size line, as a Content-Length over the limit is at the
            // head: waiting for its bytes would hold the connection for nothing.
            if case .data(let remaining) = chunked.state, remaining > bodyLimit - bodyReceived { throw tooLarge() }
            switch event {
            case nil:
                return nil
            case .data(let slice):
                return .body(Array(slice))
            case .end(let trailers):
                state = .head
                return .end(trailers: trailers)
            }
        }
    }

    private func tooLarge() -> HTTPParseError {
        HTTPParseError(.bodyTooLarge, .contentTooLarge, "request body is larger than the limit of \(bodyLimit) bytes")
    }

    // MARK: head

    /// Scans for the end of the header section, enforcing size limits as bytes
    /// arrive, then parses the complete head.
    private mutating func scanHead() throws(HTTPParseError) -> HTTPRequestHead? {
        if headScanned == 0 {
            // §2.2: ignore empty lines received before the request-line.
            while readIndex < buffer.count {
                if buffer[readIndex] == 0x0A {
                    readIndex += 1
                } else if buffer[readIndex] == 0x0D {
                    guard readIndex + 1 < buffer.count else { return nil }
                    guard buffer[readIndex + 1] == 0x0A else { break }
                    readIndex += 2
                } else {
                    break
                }
            }
            if readIndex == buffer.count { return nil }
        }
        while true {
            guard let lf = LineScanner.firstLF(in: buffer, from: readIndex + headScanned) else {
                let scanned = buffer.count - readIndex
                headScanned = scanned
                if let lineEnd = requestLineEnd {
                    if scanned + 1 - lineEnd > limits.maxHeaderBytes { throw headersTooLarge() }
                } else if scanned > limits.maxRequestLineBytes + 1 {
                    throw lineTooLong()
                }
                return nil
            }
            let rel = lf - readIndex
            let lineStart = headLineStart
            headScanned = rel + 1
            headLineStart = rel + 1
            guard let lineEnd = requestLineEnd else {
                let length = rel > 0 && buffer[lf - 1] == 0x0D ? rel - 1 : rel
                if length > limits.maxRequestLineBytes { throw lineTooLong() }
                requestLineEnd = rel + 1
                continue
            }
            if rel + 1 - lineEnd > limits.maxHeaderBytes { throw headersTooLarge() }
            let isEmpty = rel == lineStart || (rel == lineStart + 1 && buffer[lf - 1] == 0x0D)
            if isEmpty {
                let head = try parseHead(from: readIndex, to: lf + 1)
                readIndex = lf + 1
                headScanned = 0
                headLineStart = 0
                requestLineEnd = nil
                headerLines = 0
                return head
            }
            headerLines += 1
            if headerLines > limits.maxHeaderCount {
                throw HTTPParseError(.tooManyHeaders, .requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
            }
        }
    }

    private func lineTooLong() -> HTTPParseError {
        HTTPParseError(.requestLineTooLong, .uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
    }

    private func headersTooLarge() -> HTTPParseError {
        HTTPParseError(.headersTooLarge, .requestHeaderFieldsTooLarge, "header section larger than \(limits.maxHeaderBytes) bytes")
    }

    private mutating func parseHead(from start: Int, to end: Int) throws(HTTPParseError) -> HTTPRequestHead {
        guard let firstLF = LineScanner.firstLF(in: buffer, from: start) else {
            throw .bad(.badRequestLine, "missing request line")
        }
        let (method, targetBytes, version) = try parseRequestLine(LineScanner.line(buffer, start, firstLF))
        var headers = HTTPHeaders()
        var i = firstLF + 1
        while i < end, let lf = LineScanner.firstLF(in: buffer, from: i), lf < end {
            let line = try LineScanner.line(buffer, i, lf)
            i = lf + 1
            if line.isEmpty { break }
            try HeaderFieldParser.parseLine(line, into: &headers)
        }
        let target = try RequestTarget.parse(targetBytes, method: method)
        let head = try HTTPRequestHead(
            method: method,
            target: String(decoding: targetBytes, as: UTF8.self),
            path: target.path,
            pathSegments: target.segments,
            rawQuery: target.rawQuery,
            queryItems: target.queryItems,
            version: version,
            headers: headers,
            framing: Self.framing(headers, version),
            keepAlive: Self.keepAlive(headers, version),
            expectsContinue: Self.expectsContinue(headers, version)
        )
        try Self.checkHost(headers, version)
        bodyReceived = 0
        bodyLimit = limits.maxBodyBytes
        pendingLength = nil
        switch head.framing {
        case .none, .contentLength(0):
            state = .end(trailers: HTTPHeaders())
        case .contentLength(let n):
            state = .fixed(remaining: n)
            pendingLength = n
        case .chunked:
            state = .chunked(ChunkedDecoder())
        }
        return head
    }

    /// request-line = method SP request-target SP HTTP-version (§3).
    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError)
        -> (HTTPMethod, ArraySlice<UInt8>, HTTPVersion)
    {
        guard let sp1 = line.firstIndex(of: 0x20), let sp2 = line.lastIndex(of: 0x20), sp1 < sp2 else {
            throw .bad(.badRequestLine, "request line `\(HeaderFieldParser.printable(line))` is not `METHOD target HTTP/x.y`")
        }
        let method = line[line.startIndex..<sp1]
        guard !method.isEmpty, method.allSatisfy(HeaderFieldParser.isTokenByte) else {
            throw .bad(.badMethod, "method `\(HeaderFieldParser.printable(method))` is not a token")
        }
        let target = line[(sp1 + 1)..<sp2]
        let v = Array(line[(sp2 + 1)...])
        guard v.count == 8, v[0..<5].elementsEqual("HTTP/".utf8), v[6] == UInt8(ascii: "."),
              let major = Self.digit(v[5]), let minor = Self.digit(v[7])
        else {
            throw .bad(.badRequestLine, "`\(HeaderFieldParser.printable(line[(sp2 + 1)...]))` is not an HTTP version")
        }
        guard major == 1 else {
            throw HTTPParseError(.unsupportedVersion, .httpVersionNotSupported, "HTTP/\(major).\(minor) is not supported; use HTTP/1.1")
        }
        return (HTTPMethod(String(decoding: method, as: UTF8.self)), target,
                HTTPVersion(major: 1, minor: minor))
    }

    private static func digit(_ b: UInt8) -> Int? {
        b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
    }

    /// Message body length rules of §6.3.
    private static func framing(_ headers: HTTPHeaders, _ version: HTTPVersion) throws(HTTPParseError) -> HTTPBodyFraming {
        let te = headers.tokens("transfer-encoding")
        let hasTE = headers.contains("transfer-encoding")
        let lengths = headers.values("content-length")
        if hasTE {
            if !lengths.isEmpty {
                // §6.3 item 3 permits ignoring CL, but a message with both is the
                // classic request-smuggling vector; we refuse it outright.
                throw .bad(.conflictingFraming, "both Transfer-Encoding and Content-Length are present")
            }
            if version == .http1_0 {
                throw .bad(.conflictingFraming, "Transfer-Encoding in an HTTP/1.0 request")
            }
            guard te.last == "chunked" else {
                throw .bad(.unsupportedTransferEncoding, "Transfer-Encoding `\(headers.values("transfer-encoding").joined(separator: ", "))` does not end in chunked")
            }
            guard te.count == 1 else {
                throw HTTPParseError(.unsupportedTransferEncoding, .notImplemented, "only the chunked transfer coding is supported, got `\(te.joined(separator: ", "))`")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        var result: Int?
        for field in lengths {
            for element in field.split(separator: ",", omittingEmptySubsequences: false) {
                let text = element.trimmingHTTPWhitespace()
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw .bad(.badContentLength, "Content-Length `\(field)` is not a non-negative integer")
                }
                guard let n = Int(text) else {
                    throw .bad(.badContentLength, "Content-Length `\(text)` is too large")
                }
                if let r = result, r != n {
                    throw .bad(.badContentLength, "conflicting Content-Length values \(r) and \(n)")
                }
                result = n
            }
        }
        return .contentLength(result ?? 0)
    }

    private static func keepAlive(_ headers: HTTPHeaders, _ version: HTTPVersion) -> Bool {
        let connection = headers.tokens("connection")
        if connection.contains("close") { return false }
        if version == .http1_0 { return connection.contains("keep-alive") }
        return true
    }

    private static func expectsContinue(_ headers: HTTPHeaders, _ version: HTTPVersion) throws(HTTPParseError) -> Bool {
        guard version != .http1_0, let expect = headers["expect"] else { return false }
        guard expect.trimmingHTTPWhitespace().equalsIgnoringASCIICase("100-continue") else {
            throw HTTPParseError(.unsupportedExpectation, .expectationFailed, "unsupported expectation `\(expect)`")
        }
        return true
    }

    /// §3.2: an HTTP/1.1 request without Host, or any request with several, is a 400.
    private static func checkHost(_ headers: HTTPHeaders, _ version: HTTPVersion) throws(HTTPParseError) {
        let hosts = headers.values("host")
        if hosts.count > 1 { throw .bad(.duplicateHost, "more than one Host field") }
        if hosts.isEmpty && version != .http1_0 { throw .bad(.missingHost, "HTTP/1.1 request without a Host field") }
    }
}
