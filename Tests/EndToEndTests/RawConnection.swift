import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw loopback TCP connection to the daemon, so a test controls every
/// byte on the wire (a client that sends nothing, a body trickled a byte at a time).
final class RawConnection: @unchecked Sendable {  // `fd` is immutable; sends from a helper thread only touch the kernel socket
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let fd: Int32

    /// `receiveBuffer` sets SO_RCVBUF before the connect, so the advertised
    /// window stays that small (socket(7)).
    init(port: Int, timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Failure(description: "connect: errno \(e)")
        }
    }

    deinit { Glibc.close(fd) }

    @discardableResult
    func send(_ text: String) throws -> Bool { try send(Array(text.utf8)) }

    /// Sends all of `bytes`; false when the peer has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) throws -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && (errno == EPIPE || errno == ECONNRESET) { return false }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            off += n
        }
        return true
    }

    /// Everything the server sends until it closes; throws when nothing
    /// closes the connection within the read timeout.
    func readUntilClose() throws -> String {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                all += chunk[0..<n]
                continue
            }
            if n == 0 || errno == ECONNRESET { return String(decoding: all, as: UTF8.self) }
            throw Failure(description: "recv: errno \(errno) after \(all.count) bytes (the server kept the connection open)")
        }
    }
}

extension RawConnection {
    /// Closes both directions now (the descriptor stays until deinit).
    func shutdown() { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}
