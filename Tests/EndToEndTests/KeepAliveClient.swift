import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client over one keep-alive loopback connection, for
/// tests that send thousands of requests (a curl process per request would
/// dominate their time). Reads `Content-Length` and chunked responses.
final class KeepAliveClient: @unchecked Sendable { // one thread at a time: a test hands a client to one worker and waits for it
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        var closes: Bool { header("Connection")?.lowercased() == "close" }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let port: Int
    private var fd: Int32 = -1
    private var pending: [UInt8] = []

    init(port: Int) { self.port = port }
    deinit { disconnect() }

    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        pending = []
    }

    private func connectIfNeeded() throws {
        guard fd < 0 else { return }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { let e = errno; disconnect(); throw Failure(description: "connect: errno \(e)") }
    }

    /// Sends one request and reads its response. The connection is reopened
    /// when the server closed it (after `Connection: close`).
    func request(_ method: String, _ path: String, headers: [String] = [], body: [UInt8] = []) throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { head += h + "\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        return try raw(Array((head + "\r\n").utf8) + body)
    }

    /// JSON body convenience.
    func post(_ path: String, json: String, headers: [String] = []) throws -> Response {
        try request("POST", path, headers: ["Content-Type: application/json"] + headers, body: Array(json.utf8))
    }

    /// Sends `bytes` as they are (a hand-made request) and reads one response.
    func raw(_ bytes: [UInt8]) throws -> Response {
        try connectIfNeeded()
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { let e = errno; disconnect(); throw Failure(description: "send: errno \(e)") }
            off += n
        }
        let response = try readResponse()
        if response.closes { disconnect() }
        return response
    }

    private func more() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else {
            let e = errno
            disconnect()
            throw Failure(description: n == 0 ? "connection closed by the server" : "recv: errno \(e)")
        }
        pending.append(contentsOf: chunk[0..<n])
    }

    private func line() throws -> String {
        while true {
            if let lf = pending.firstIndex(of: 0x0A) {
                let end = lf > 0 && pending[lf - 1] == 0x0D ? lf - 1 : lf
                defer { pending.removeFirst(lf + 1) }
                return String(decoding: pending[..<end], as: UTF8.self)
            }
            try more()
        }
    }

    private func take(_ n: Int) throws -> [UInt8] {
        while pending.count < n { try more() }
        defer { pending.removeFirst(n) }
        return Array(pending[..<n])
    }

    private func readResponse() throws -> Response {
        var status = 100
        var headers: [(name: String, value: String)] = []
        // Interim 1xx responses (100 Continue) precede the final one.
        while status < 200 {
            let statusLine = try line()
            let fields = statusLine.split(separator: " ", maxSplits: 2)
            guard fields.count >= 2, let code = Int(fields[1]) else { throw Failure(description: "status line `\(statusLine)`") }
            status = code
            headers = []
            while case let l = try line(), !l.isEmpty {
                guard let colon = l.firstIndex(of: ":") else { throw Failure(description: "header `\(l)`") }
                headers.append((String(l[..<colon]), l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        var response = Response(status: status, headers: headers, body: [])
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while let size = Int(try line().split(separator: ";").first ?? "", radix: 16), size > 0 {
                response.body += try take(size)
                _ = try line()
            }
            while !(try line()).isEmpty {}   // trailers
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try take(length)
        }
        return response
    }
}
