import Glibc

/// A failed libc call with the `errno` it left, captured at the call site.
public struct SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libc function that failed (`bind`, `accept4`, …) and what it was doing.
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call) failed: \(strerror(errno).map { String(cString: $0) } ?? "unknown error") (errno \(errno))"
    }
}
