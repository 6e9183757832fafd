import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test's stand-in for systemd's notification socket: a bound AF_UNIX
/// datagram socket that hands back each datagram as text.
public final class DatagramReceiver {
    public let fd: Int32
    /// The `$NOTIFY_SOCKET` spelling: a path, or `@name` for an abstract socket.
    public let address: String
    private let pathToRemove: String?

    public struct Failure: Error, CustomStringConvertible {
        public let call: String
        public let code: Int32
        public var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Binds a path socket (`abstract == false`) or an abstract one.
    public init(abstract: Bool) throws {
        let name = "lorad-notify-\(UUID().uuidString.prefix(8))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let bytes: [UInt8]
        if abstract {
            bytes = [0] + Array(name.utf8)
            address = "@" + name
            pathToRemove = nil
        } else {
            let path = "/tmp/\(name).sock"
            bytes = Array(path.utf8) + [0]
            address = path
            pathToRemove = path
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(offset + bytes.count)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw Failure(call: "bind", code: e) }
        // A deadline so a missing datagram fails the test instead of hanging it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    /// The next datagram, or nil after the deadline.
    public func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    deinit {
        close(fd)
        if let pathToRemove { unlink(pathToRemove) }
    }
}
