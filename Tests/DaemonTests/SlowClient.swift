import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client that sends one request, reads nothing, and closes: with a
/// tiny receive buffer the server's writes back up, so a long response is
/// still being produced when the client disappears.
enum SlowClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func postAndLeave(port: Int, path: String, headers: [String], after seconds: Double) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        // Before connect, so the advertised window stays small (socket(7) SO_RCVBUF).
        var size: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: errno \(errno)") }
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 0\r\n"
        for h in headers { head += h + "\r\n" }
        let bytes = Array((head + "\r\n").utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw Failure(description: "send: errno \(errno)")
        }
        Thread.sleep(forTimeInterval: seconds)
        // Unread data in the receive queue makes close() send RST (RFC 2525 §2.17).
    }
}
