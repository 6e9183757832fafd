#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP address to listen on: `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`.
///
/// Hosts are numeric literals (checked with `inet_pton`) so binding never
/// depends on a resolver at boot; `localhost` is accepted as `127.0.0.1` and
/// `*` as `0.0.0.0` for convenience. Port 0 asks the kernel for a free port
/// (tests use it). IPv6 literals are bracketed as in RFC 3986 §3.2.2.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }

    public var family: Family
    /// The numeric host, without brackets.
    public var host: String
    public var port: UInt16

    public init(family: Family, host: String, port: UInt16) {
        self.family = family
        self.host = host
        self.port = port
    }

    /// Parses `host:port` / `[v6]:port`; nil when it is neither.
    public init?(parsing text: String) {
        let s = Substring(text).trimmingSpaces()
        let hostPart: Substring
        let portPart: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            hostPart = s[s.index(after: s.startIndex)..<close]
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
            guard ListenAddress.isNumeric(String(hostPart), family: AF_INET6) else { return nil }
            family = .ipv6
            host = String(hostPart)
        } else {
            guard let colon = s.lastIndex(of: ":") else { return nil }
            hostPart = s[..<colon]
            portPart = s[s.index(after: colon)...]
            switch hostPart {
            case "localhost": host = "127.0.0.1"
            case "*": host = "0.0.0.0"
            default:
                guard ListenAddress.isNumeric(String(hostPart), family: AF_INET) else { return nil }
                host = String(hostPart)
            }
            family = .ipv4
        }
        guard !portPart.isEmpty, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let p = UInt16(portPart) else { return nil }
        port = p
    }

    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether the host is a loopback address: 127.0.0.0/8 (RFC 1122
    /// §3.2.1.3) or ::1 (RFC 4291 §2.5.3), reachable from this machine only.
    public var isLoopback: Bool {
        guard let bytes = Self.addressBytes(host, family: family == .ipv6 ? AF_INET6 : AF_INET) else { return false }
        return family == .ipv6 ? bytes == [UInt8](repeating: 0, count: 15) + [1] : bytes[0] == 127
    }

    /// Whether both cannot be bound at once: the same port and family, and
    /// the same address or either one the family's wildcard (0.0.0.0, ::),
    /// which takes the port on every address (bind(2) says EADDRINUSE).
    /// IPv6 sockets are bound IPV6_V6ONLY, so the families never clash;
    /// port 0 asks the kernel for a free port each time, so it never does.
    public func overlaps(_ other: ListenAddress) -> Bool {
        guard port != 0, port == other.port, family == other.family else { return false }
        let af = family == .ipv6 ? AF_INET6 : AF_INET
        let mine = Self.addressBytes(host, family: af), theirs = Self.addressBytes(other.host, family: af)
        let any = [UInt8](repeating: 0, count: 16)
        return mine == theirs || mine == any || theirs == any
    }

    private static func isNumeric(_ host: String, family: Int32) -> Bool {
        addressBytes(host, family: family) != nil
    }

    /// The address `inet_pton` reads from `host` (in a 16-byte buffer, the
    /// size of in6_addr, the larger), nil when it is no such literal.
    private static func addressBytes(_ host: String, family: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        return host.withCString { inet_pton(family, $0, &buffer) } == 1 ? buffer : nil
    }
}
