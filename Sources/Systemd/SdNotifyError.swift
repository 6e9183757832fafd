#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a notification to the service manager could not be sent.
/// Each libc failure keeps its `errno`.
public enum SdNotifyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `$NOTIFY_SOCKET` is neither an absolute path nor `@abstract`
    /// (e.g. the `vsock:` form, which lorad does not speak).
    case unsupportedAddress(String)
    /// The address does not fit `sockaddr_un.sun_path` (108 bytes on Linux).
    case addressTooLong(String, limit: Int)
    /// `socket(AF_UNIX, SOCK_DGRAM)` failed.
    case socket(errno: Int32)
    /// `sendto` failed.
    case send(errno: Int32, address: String)
    /// `sendto` sent fewer bytes than the datagram has.
    case shortWrite(sent: Int, expected: Int)

    public var description: String {
        switch self {
        case .unsupportedAddress(let a): return "NOTIFY_SOCKET '\(a)': not an absolute path or @abstract name"
        case let .addressTooLong(a, limit): return "NOTIFY_SOCKET '\(a)': longer than \(limit) bytes"
        case .socket(let e): return "sd_notify socket(): \(SdNotifyError.describe(e))"
        case let .send(e, a): return "sd_notify sendto(\(a)): \(SdNotifyError.describe(e))"
        case let .shortWrite(sent, expected): return "sd_notify sendto: sent \(sent) of \(expected) bytes"
        }
    }

    static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
