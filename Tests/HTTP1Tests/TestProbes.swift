import Foundation
import Glibc

/// A thread-safe box tests use to observe handlers.
final class Probe<Value: Sendable>: @unchecked Sendable {  // `value` is guarded by `lock`
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&value); lock.unlock() }

    /// Polls until `condition` holds (or ~`seconds` pass); returns whether it held.
    func wait(seconds: Double = 10, until condition: (Value) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition(get()) { return true }
            usleep(5_000)
        }
        return condition(get())
    }
}

/// Resident set size of this process in KiB, from /proc/self/status.
func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// Raises the soft open-file limit to the hard limit (the 1,000-connection test
/// needs two descriptors per connection in this process).
func raiseOpenFileLimit() {
    var rl = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0 else { return }
    rl.rlim_cur = rl.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
}

/// Kernel-side view of one loopback TCP connection whose both ends live in
/// this process (the server runs in the test process).
enum SocketQueues {
    /// `SIOCOUTQ` / `SIOCINQ` (linux/sockios.h: aliases of TIOCOUTQ and FIONREAD).
    static let outQueueRequest: UInt = 0x5411
    static let inQueueRequest: UInt = 0x541B

    /// Bytes in `fd`'s send queue (not yet acknowledged by the peer).
    static func unsent(_ fd: Int32) -> Int { query(fd, outQueueRequest) }
    /// Bytes in `fd`'s receive queue (arrived, not yet read).
    static func unread(_ fd: Int32) -> Int { query(fd, inQueueRequest) }

    private static func query(_ fd: Int32, _ request: UInt) -> Int {
        var n: Int32 = 0
        return ioctl(fd, request, &n) == 0 ? Int(n) : -1
    }

    /// True when the kernel will take no more bytes on `fd` now (its send
    /// buffer is full: `poll` reports no POLLOUT).
    static func sendBufferIsFull(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 0
    }

    /// The server-side descriptor of the connection whose client end is
    /// `clientFD`: the socket in this process whose peer is the client's
    /// local address and whose local address is the client's peer.
    static func serverSide(of clientFD: Int32) -> Int32? {
        guard let client = address(clientFD, getsockname), let server = address(clientFD, getpeername),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        for entry in entries {
            guard let fd = Int32(entry), fd != clientFD else { continue }
            if address(fd, getpeername) == client, address(fd, getsockname) == server { return fd }
        }
        return nil
    }

    private static func address(_ fd: Int32, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> [UInt8]? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &len) }
        }
        guard r == 0 else { return nil }
        return withUnsafeBytes(of: &storage) { Array($0.prefix(Int(len))) }
    }
}
