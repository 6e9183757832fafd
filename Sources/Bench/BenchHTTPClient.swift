import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 client for the serving benchmark: one request
/// per connection (`Connection: close`), body read to EOF, chunked bodies
/// decoded. Kept deliberately simple so the client's own cost is small and
/// known (no libcurl, no process spawn in the timed path).
struct BenchHTTPClient {
    let port: UInt16

    struct Response {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum ClientError: Error, CustomStringConvertible {
        case socket(String)
        case malformed(String)
        var description: String {
            switch self {
            case .socket(let s): return "bench client socket: \(s)"
            case .malformed(let s): return "bench client: malformed response: \(s)"
            }
        }
    }

    func post(_ path: String, contentType: String, body: [UInt8]) throws -> Response {
        try request("POST", path, headers: ["Content-Type: \(contentType)"], body: body)
    }

    func postJSON(_ path: String, _ json: [String: Any]) throws -> Response {
        try post(path, contentType: "application/json", body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    /// A `multipart/form-data` body as `curl -F` builds it (RFC 7578).
    static func multipart(_ fields: [(name: String, filename: String?, data: [UInt8])]) -> (contentType: String, body: [UInt8]) {
        let boundary = "------------------------lorad\(UInt64.random(in: 0...UInt64.max))"
        var body: [UInt8] = []
        for f in fields {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.name)\""
            if let filename = f.filename { head += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            head += "\r\n\r\n"
            body += Array(head.utf8) + f.data + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    /// A TCP socket connected to 127.0.0.1:`port`; the caller closes it.
    static func connectLoopback(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.socket("socket: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw ClientError.socket("connect: errno \(code)")
        }
        return fd
    }

    func request(_ method: String, _ path: String, headers: [String], body: [UInt8]) throws -> Response {
        let fd = try Self.connectLoopback(port: port)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for h in headers { head += h + "\r\n" }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8) + body)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.socket("recv: errno \(errno)")
            }
            if n == 0 { break }
            received += buffer[0..<n]
        }
        return try Self.parse(received)
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.socket("send: errno \(errno)")
            }
            offset += n
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else {
            throw ClientError.malformed("no end of head")
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        guard let statusText = lines.first?.split(separator: " ").dropFirst().first, let status = Int(statusText) else {
            throw ClientError.malformed(lines.first ?? "")
        }
        var body = Array(bytes[(end + 4)...])
        if lines.contains(where: { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        }
        return Response(status: status, body: body)
    }

    /// RFC 9112 §7.1 chunked coding (no trailers expected).
    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw ClientError.malformed("chunk size '\(sizeText)'")
            }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { throw ClientError.malformed("short chunk") }
            out += bytes[start..<(start + size)]
            i = start + size + 2
        }
        return out
    }
}
