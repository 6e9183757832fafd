/// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1),
/// driven by `HTTPRequestDecoder` over its input buffer.
///
/// Every framing line — chunk-size lines, the CRLF after chunk data, trailer
/// lines and the final empty line — must end in CRLF, as §7.1 spells them;
/// a bare LF is a 400. (§2.2's leniency for bare LF is a MAY; in framing it is
/// what request smuggling between parsers that disagree feeds on.)
struct ChunkedDecoder: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    enum Event {
        case data(ArraySlice<UInt8>)
        case end(HTTPHeaders)
    }

    private(set) var state: State = .size
    /// Bytes after the read index already scanned for an LF (keeps byte-at-a-time
    /// feeding linear).
    private var scanned = 0
    private var trailers = HTTPHeaders()
    private var trailerBytes = 0

    mutating func next(_ buffer: [UInt8], _ readIndex: inout Int, _ limits: HTTPLimits) throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .size:
                guard let lf = LineScanner.firstLF(in: buffer, from: readIndex + scanned) else {
                    scanned = buffer.count - readIndex
                    if scanned > limits.maxChunkLineBytes + 1 {
                        throw HTTPParseError(.chunkLineTooLong, .badRequest, "chunk-size line longer than \(limits.maxChunkLineBytes) bytes")
                    }
                    return nil
                }
                if lf - readIndex > limits.maxChunkLineBytes + 1 {
                    throw HTTPParseError(.chunkLineTooLong, .badRequest, "chunk-size line longer than \(limits.maxChunkLineBytes) bytes")
                }
                try Self.requireCR(buffer, readIndex, lf, "chunk-size line")
                let line = try LineScanner.line(buffer, readIndex, lf)
                readIndex = lf + 1
                scanned = 0
                let size = try Self.parseSize(line)
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let available = buffer.count - readIndex
                guard available > 0 else { return nil }
                let n = min(available, remaining)
                let slice = buffer[readIndex..<(readIndex + n)]
                readIndex += n
                state = remaining == n ? .dataEnd : .data(remaining: remaining - n)
                return .data(slice)
            case .dataEnd:
                // chunk-data is followed by CRLF.
                guard readIndex < buffer.count else { return nil }
                switch buffer[readIndex] {
                case 0x0D:
                    guard readIndex + 1 < buffer.count else { return nil }
                    guard buffer[readIndex + 1] == 0x0A else {
                        throw .bad(.badChunk, "chunk data is not followed by CRLF")
                    }
                    readIndex += 2
                case 0x0A:
                    throw .bad(.badChunk, "chunk data is followed by a bare LF; chunked framing needs CRLF (RFC 9112 §7.1)")
                default:
                    throw .bad(.badChunk, "chunk data is longer than its declared size")
                }
                state = .size
            case .trailers:
                guard let lf = LineScanner.firstLF(in: buffer, from: readIndex + scanned) else {
                    scanned = buffer.count - readIndex
                    if trailerBytes + scanned + 1 > limits.maxHeaderBytes {
                        throw HTTPParseError(.headersTooLarge, .requestHeaderFieldsTooLarge, "trailer section larger than \(limits.maxHeaderBytes) bytes")
                    }
                    return nil
                }
                trailerBytes += lf + 1 - readIndex
                if trailerBytes > limits.maxHeaderBytes {
                    throw HTTPParseError(.headersTooLarge, .requestHeaderFieldsTooLarge, "trailer section larger than \(limits.maxHeaderBytes) bytes")
                }
                try Self.requireCR(buffer, readIndex, lf, "trailer line")
                let line = try LineScanner.line(buffer, readIndex, lf)
                readIndex = lf + 1
                scanned = 0
                if line.isEmpty {
                    state = .done
                    return .end(trailers)
                }
                if trailers.count >= limits.maxHeaderCount {
                    throw HTTPParseError(.tooManyHeaders, .requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) trailer fields")
                }
                try HeaderFieldParser.parseLine(line, into: &trailers)
            case .done:
                return nil
            }
        }
    }

    /// The line `buffer[start...lf]` ends in CRLF, not a bare LF.
    private static func requireCR(_ buffer: [UInt8], _ start: Int, _ lf: Int, _ what: String) throws(HTTPParseError) {
        guard lf > start, buffer[lf - 1] == 0x0D else {
            throw .bad(.badChunk, "\(what) ends in a bare LF; chunked framing needs CRLF (RFC 9112 §7.1)")
        }
    }

    /// chunk-size [ chunk-ext ]: 1*HEXDIG, then optional BWS and `;`-extensions,
    /// which we accept and ignore (§7.1.1 lets a recipient ignore them).
    static func parseSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var i = line.startIndex
        while i < line.endIndex, let v = RequestTarget.hexValue(line[i]) {
            guard size <= (Int.max >> 4) else { throw .bad(.badChunk, "chunk size overflows") }
            size = size << 4 | Int(v)
            digits += 1
            i += 1
        }
        guard digits > 0 else {
            throw .bad(.badChunk, "chunk size `\(HeaderFieldParser.printable(line))` is not hexadecimal")
        }
        while i < line.endIndex, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
        if i < line.endIndex {
            guard line[i] == UInt8(ascii: ";") else {
                throw .bad(.badChunk, "chunk size `\(HeaderFieldParser.printable(line))` is not hexadecimal")
            }
            for b in line[i...] where (b < 0x20 && b != 0x09) || b == 0x7F {
                throw .bad(.badChunk, "control character in a chunk extension")
            }
        }
        return size
    }
}
