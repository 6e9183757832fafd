#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The systemd notification protocol (sd_notify(3)), without libsystemd.
///
/// A notification is one datagram of newline-separated `KEY=VALUE` lines sent
/// to the AF_UNIX socket named by `$NOTIFY_SOCKET`: an absolute path, or an
/// abstract-namespace name written with a leading `@` (the `@` becomes the
/// NUL first byte of `sun_path`, and the address length excludes any
/// trailing NUL — "The NOTIFY_SOCKET protocol" in systemd's docs).
/// Without `$NOTIFY_SOCKET` (not started by systemd, or `Type=simple`)
/// every call is a no-op, as in sd_notify(3).
///
/// A fresh socket per message keeps the type a stateless `Sendable` value;
/// messages are rare (start, stop, reload, and watchdog pings every few seconds).
public struct SdNotify: Sendable {
    /// Where notifications go.
    public enum Target: Equatable, Sendable, CustomStringConvertible {
        /// A socket file.
        case path(String)
        /// An abstract socket name (without the `@`).
        case abstract(String)

        public var description: String {
            switch self {
            case .path(let p): return p
            case .abstract(let name): return "@" + name
            }
        }
    }

    /// The raw `$NOTIFY_SOCKET` value; nil = notifications disabled.
    public let socket: String?

    /// Notifies the socket named in `environment["NOTIFY_SOCKET"]`.
    public init(environment: [String: String]) {
        let value = environment["NOTIFY_SOCKET"]
        socket = (value?.isEmpty ?? true) ? nil : value
    }

    /// Notifies the given socket address (`/run/…` or `@name`); nil disables.
    public init(socket: String?) {
        self.socket = (socket?.isEmpty ?? true) ? nil : socket
    }

    /// Whether a notification socket is configured.
    public var isEnabled: Bool { socket != nil }

    /// The parsed target, or nil when disabled.
    public func target() throws(SdNotifyError) -> Target? {
        guard let socket else { return nil }
        if socket.hasPrefix("/") { return .path(socket) }
        if socket.hasPrefix("@") { return .abstract(String(socket.dropFirst())) }
        throw .unsupportedAddress(socket)
    }

    // MARK: The states lorad reports

    /// `READY=1`: startup finished (model loaded, listeners bound).
    public func ready(status: String? = nil) throws(SdNotifyError) {
        try send(["READY=1"] + SdNotify.statusLine(status))
    }

    /// `STATUS=…`: one free-form line shown by `systemctl status`.
    public func status(_ text: String) throws(SdNotifyError) {
        try send(SdNotify.statusLine(text))
    }

    /// `WATCHDOG=1`: the keep-alive ping (see `Watchdog` for the cadence).
    public func watchdog() throws(SdNotifyError) {
        try send(["WATCHDOG=1"])
    }

    /// `STOPPING=1`: shutdown (draining) began.
    public func stopping(status: String? = nil) throws(SdNotifyError) {
        try send(["STOPPING=1"] + SdNotify.statusLine(status))
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC in µs), which
    /// systemd ≥ 253 requires to accept a reload notification
    /// (sd_notify(3), "RELOADING=1"). Send `ready()` when the reload is done.
    public func reloading(status: String? = nil) throws(SdNotifyError) {
        try send(["RELOADING=1", "MONOTONIC_USEC=\(SdNotify.monotonicMicroseconds())"] + SdNotify.statusLine(status))
    }

    /// `EXTEND_TIMEOUT_USEC=…`: ask for more start/stop time (slow model load).
    public func extendTimeout(seconds: Double) throws(SdNotifyError) {
        let usec = UInt64(max(0, seconds) * 1_000_000)
        try send(["EXTEND_TIMEOUT_USEC=\(usec)"])
    }

    /// Sends one datagram made of these `KEY=VALUE` lines.
    public func send(_ assignments: [String]) throws(SdNotifyError) {
        guard let target = try target() else { return }
        try SdNotify.send(assignments.joined(separator: "\n"), to: target)
    }

    /// A `STATUS=` line; newlines would start new assignments, so they become spaces.
    static func statusLine(_ text: String?) -> [String] {
        guard let text else { return [] }
        return ["STATUS=" + String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })]
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares against.
    public static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }

    // MARK: The datagram

    private static func send(_ message: String, to target: Target) throws(SdNotifyError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathCapacity = MemoryLayout.size(ofValue: address.sun_path)  // 108 on Linux
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        var pathBytes: [UInt8]
        let length: Int
        switch target {
        case .path(let path):
            pathBytes = Array(path.utf8) + [0]
            guard pathBytes.count <= pathCapacity else { throw .addressTooLong(target.description, limit: pathCapacity - 1) }
            length = pathOffset + pathBytes.count
        case .abstract(let name):
            // Abstract names are not NUL-terminated: every byte of the
            // address length is part of the name.
            pathBytes = [0] + Array(name.utf8)
            guard pathBytes.count <= pathCapacity else { throw .addressTooLong(target.description, limit: pathCapacity - 1) }
            length = pathOffset + pathBytes.count
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }

        #if canImport(Glibc)
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let fd = Darwin.socket(AF_UNIX, SOCK_DGRAM, 0)
        let flags: Int32 = 0
        #endif
        guard fd >= 0 else { throw .socket(errno: errno) }
        defer { close(fd) }

        let bytes = Array(message.utf8)
        var sent: Int
        repeat {
            sent = bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                        sendto(fd, buffer.baseAddress, buffer.count, flags, sa, socklen_t(length))
                    }
                }
            }
        } while sent < 0 && errno == EINTR
        guard sent >= 0 else { throw .send(errno: errno, address: target.description) }
        guard sent == bytes.count else { throw .shortWrite(sent: sent, expected: bytes.count) }
    }
}
