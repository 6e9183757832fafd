import Foundation
import Glibc
@testable import HTTP1

/// A blocking raw-socket client, so tests control every byte on the wire.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var trailers = HTTPHeaders()
    }

    init(_ address: SocketAddress, timeoutSeconds: Int = 10) throws {
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        fd = socket(domain, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let r = address.withSockAddr { connect(fd, $0, $1) }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Failure(description: "connect \(address): errno \(e)")
        }
    }

    deinit { Glibc.close(fd) }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            off += n
        }
    }

    /// Reads more bytes; false at EOF (or reset).
    @discardableResult
    func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer += chunk[0..<n]
            return true
        }
        if n == 0 { return false }
        let e = errno
        if e == ECONNRESET { return false }
        throw Failure(description: "recv: errno \(e) (timeout?)")
    }

    private func line() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                var l = Array(buffer[0..<lf])
                if l.last == 0x0D { l.removeLast() }
                buffer.removeFirst(lf + 1)
                return String(decoding: l, as: UTF8.self)
            }
            guard try fill() else { throw Failure(description: "EOF while reading a line") }
        }
    }

    private func bytes(_ n: Int) throws -> [UInt8] {
        while buffer.count < n {
            guard try fill() else { throw Failure(description: "EOF with \(buffer.count)/\(n) body bytes") }
        }
        let out = Array(buffer[0..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Reads one response; `100 Continue` interim responses are returned too.
    func readResponse(headRequest: Bool = false) throws -> Response {
        let statusLine = try line()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Failure(description: "bad status line `\(statusLine)`")
        }
        var headers = HTTPHeaders()
        while true {
            let l = try line()
            if l.isEmpty { break }
            guard let colon = l.firstIndex(of: ":") else { throw Failure(description: "bad header `\(l)`") }
            headers.add(String(l[..<colon]), l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = Response(status: status, headers: headers, body: [])
        if status < 200 || status == 204 || status == 304 || headRequest { return response }
        if headers["Transfer-Encoding"]?.lowercased() == "chunked" {
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw Failure(description: "bad chunk size `\(sizeLine)`")
                }
                if size == 0 {
                    while true {
                        let t = try line()
                        if t.isEmpty { break }
                        if let c = t.firstIndex(of: ":") {
                            response.trailers.add(String(t[..<c]), t[t.index(after: c)...].trimmingCharacters(in: .whitespaces))
                        }
                    }
                    break
                }
                response.body += try bytes(size)
                _ = try line()
            }
        } else if let cl = headers["Content-Length"], let n = Int(cl) {
            response.body = try bytes(n)
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// True when the server has closed the connection (EOF with nothing unread).
    func isClosedByPeer() throws -> Bool {
        if !buffer.isEmpty { return false }
        return try !fill()
    }
}
