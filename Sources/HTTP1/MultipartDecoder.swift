import Glibc

/// What `MultipartDecoder.next()` produces: for each part a `partBegin`, its
/// content in `partData` pieces, a `partEnd`; then `end` at the close delimiter.
public enum MultipartEvent: Equatable, Sendable {
    case partBegin(MultipartPartHead)
    case partData([UInt8])
    case partEnd
    case end
}

/// An incremental `multipart/form-data` parser (RFC 7578 over RFC 2046 §5.1)
/// as a value type: feed body pieces of any size, pull events. Part content is
/// released as soon as it cannot be the start of a delimiter, so a part of
/// hundreds of MB passes through without being held.
public struct MultipartDecoder: Sendable {
    private enum State: Sendable {
        case preamble
        case afterDelimiter
        case headers(HTTPHeaders, bytes: Int)
        case data(MultipartPartHead)
        case epilogue
        case failed(MultipartError)
    }

    public let limits: MultipartLimits
    /// `CRLF--boundary`: every delimiter, the first one included thanks to the
    /// CRLF we pretend precedes the body.
    private let delimiter: [UInt8]
    private var buffer: [UInt8] = [0x0D, 0x0A]
    private var readIndex = 0
    private var state = State.preamble
    private var inputEnded = false
    private var partBytes = 0
    private var parts = 0
    private var scanned = 0

    public init(boundary: String, limits: MultipartLimits = MultipartLimits()) {
        self.limits = limits
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex > 0, readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// No more input will come: a body that stops before its close delimiter
    /// is an error on the next `next()`.
    public mutating func finishInput() { inputEnded = true }

    public mutating func next() throws(MultipartError) -> MultipartEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(MultipartError) -> MultipartEvent? {
        switch state {
        case .failed(let e):
            throw e
        case .epilogue:
            readIndex = buffer.count
            return nil
        case .preamble:
            if let p = Self.find(delimiter, in: buffer, from: readIndex) {
                readIndex = p + delimiter.count
                state = .afterDelimiter
                return try step()
            }
            readIndex = max(readIndex, buffer.count - (delimiter.count - 1))
            if inputEnded { throw .bad("multipart body has no boundary delimiter") }
            return nil
        case .afterDelimiter:
            // "--" closes the body; otherwise transport padding, then CRLF.
            var i = readIndex
            guard i + 1 < buffer.count else { return try needMore() }
            if buffer[i] == UInt8(ascii: "-"), buffer[i + 1] == UInt8(ascii: "-") {
                state = .epilogue
                readIndex = buffer.count
                return .end
            }
            while i < buffer.count, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 }
            guard i < buffer.count else { return try needMore() }
            // RFC 2046 §5.1.1: a delimiter line ends in CRLF, and every later
            // delimiter is found as CRLF--boundary. A body written with bare
            // LFs would never show its next delimiter; say so here rather
            // than let the first part run on into a size limit.
            if buffer[i] == 0x0A {
                throw .bad("multipart delimiter lines must end in CRLF (RFC 2046 §5.1.1); this body's end in a bare LF")
            }
            guard buffer[i] == 0x0D else { throw .bad("a multipart boundary is followed by garbage") }
            guard i + 1 < buffer.count else { return try needMore() }
            i += 1
            guard buffer[i] == 0x0A else { throw .bad("a multipart boundary is followed by garbage") }
            readIndex = i + 1
            parts += 1
            if parts > limits.maxParts { throw .bad("more than \(limits.maxParts) multipart parts") }
            state = .headers(HTTPHeaders(), bytes: 0)
            scanned = 0
            return try step()
        case .headers(var headers, let bytes):
            guard let lf = LineScanner.firstLF(in: buffer, from: readIndex + scanned) else {
                scanned = buffer.count - readIndex
                if bytes + scanned + 1 > limits.maxPartHeaderBytes { throw partHeadersTooLarge() }
                return try needMore()
            }
            let total = bytes + lf + 1 - readIndex
            if total > limits.maxPartHeaderBytes { throw partHeadersTooLarge() }
            let line: ArraySlice<UInt8>
            do {
                line = try LineScanner.line(buffer, readIndex, lf)
            } catch {
                throw .bad("multipart part header: \(error.message)")
            }
            readIndex = lf + 1
            scanned = 0
            if line.isEmpty {
                let head = try MultipartPartHead(headers: headers)
                state = .data(head)
                partBytes = 0
                return .partBegin(head)
            }
            do {
                try HeaderFieldParser.parseLine(line, into: &headers)
            } catch {
                throw .bad("multipart part header: \(error.message)")
            }
            state = .headers(headers, bytes: total)
            return try step()
        case .data(let head):
            let end: Int
            if let p = Self.find(delimiter, in: buffer, from: readIndex) {
                if p == readIndex {
                    readIndex += delimiter.count
                    state = .afterDelimiter
                    return .partEnd
                }
                end = p
            } else {
                // Keep a tail that could be the start of a delimiter.
                end = buffer.count - (delimiter.count - 1)
                if end <= readIndex { return try needMore() }
            }
            let n = end - readIndex
            partBytes += n
            if partBytes > limits.maxPartBytes {
                throw MultipartError(.contentTooLarge, "multipart part `\(head.name)` is larger than the limit of \(limits.maxPartBytes) bytes")
            }
            let piece = Array(buffer[readIndex..<end])
            readIndex = end
            return .partData(piece)
        }
    }

    private func needMore() throws(MultipartError) -> MultipartEvent? {
        if inputEnded { throw .bad("multipart body ends before its closing boundary") }
        return nil
    }

    private func partHeadersTooLarge() -> MultipartError {
        MultipartError(.requestHeaderFieldsTooLarge, "a multipart part's headers exceed \(limits.maxPartHeaderBytes) bytes")
    }

    /// First index of `needle` in `haystack[from...]` (memchr for the first
    /// byte, memcmp for the rest).
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        let n = needle.count
        guard n > 0, from + n <= haystack.count else { return nil }
        return haystack.withUnsafeBufferPointer { hay -> Int? in
            needle.withUnsafeBufferPointer { nd -> Int? in
                guard let h = hay.baseAddress, let d = nd.baseAddress else { return nil }
                var i = from
                while i + n <= hay.count {
                    guard let hit = memchr(h + i, Int32(d[0]), hay.count - i - n + 1) else { return nil }
                    let j = h.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(h + j, d, n) == 0 { return j }
                    i = j + 1
                }
                return nil
            }
        }
    }
}
