import Glibc

/// An IPv4 or IPv6 socket address (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:0`).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    public let family: Family
    /// The numeric host, as `inet_ntop` prints it.
    public let host: String
    public let port: UInt16

    /// Parses a numeric host (`127.0.0.1`, `::1`, `[::1]`, `0.0.0.0`, `::`) —
    /// `localhost` is read as 127.0.0.1. No DNS: a daemon binds addresses.
    public init(host: String, port: UInt16) throws(SocketAddressError) {
        var h = host
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" { h = "127.0.0.1" }
        if h.isEmpty || h == "*" { h = "0.0.0.0" }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, h, &v4) == 1 {
            family = .ipv4
        } else if inet_pton(AF_INET6, h, &v6) == 1 {
            family = .ipv6
        } else {
            throw SocketAddressError(text: host, reason: "not a numeric IPv4 or IPv6 address")
        }
        self.host = h
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or a bare `:port` (all IPv4 interfaces).
    public init(parsing text: String) throws(SocketAddressError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw SocketAddressError(text: text, reason: "missing `:port`")
        }
        let hostPart = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw SocketAddressError(text: text, reason: "port is not a number in 0…65535")
        }
        if hostPart.contains(":") && !hostPart.hasPrefix("[") {
            throw SocketAddressError(text: text, reason: "IPv6 addresses need brackets: `[::1]:8080`")
        }
        try self.init(host: hostPart, port: port)
    }

    init(storage: sockaddr_storage) {
        var s = storage
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if Int32(s.ss_family) == AF_INET6 {
            let (h, p) = withUnsafePointer(to: &s) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 -> (String, UInt16) in
                    var a = sin6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                    return (String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), UInt16(bigEndian: sin6.pointee.sin6_port))
                }
            }
            family = .ipv6; host = h; port = p
        } else {
            let (h, p) = withUnsafePointer(to: &s) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> (String, UInt16) in
                    var a = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                    return (String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), UInt16(bigEndian: sin.pointee.sin_port))
                }
            }
            family = .ipv4; host = h; port = p
        }
    }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &sin.sin_addr)
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &sin6.sin6_addr)
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A listen address that could not be parsed.
public struct SocketAddressError: Error, Equatable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "bad listen address `\(text)`: \(reason)" }
}
