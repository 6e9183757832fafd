import Glibc

/// A non-blocking stream socket. Knows nothing of HTTP: every libc call is
/// wrapped exactly once here, with `errno` captured into `SocketError`.
struct Socket: Sendable, Hashable {
    let fd: Int32

    enum ReadResult: Equatable {
        case bytes(Int)
        case wouldBlock
        case endOfFile
    }

    // MARK: setup

    /// socket + SO_REUSEADDR + bind + listen, non-blocking and close-on-exec.
    static func listen(on address: SocketAddress, backlog: Int32) throws(SocketError) -> Socket {
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
        let s = Socket(fd: fd)
        do throws(SocketError) {
            try s.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)")
            if address.family == .ipv6 {
                // `[::]` means IPv6 only; listen on 0.0.0.0 separately for IPv4.
                try s.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "setsockopt(IPV6_V6ONLY)")
            }
            let r = address.withSockAddr { bind(fd, $0, $1) }
            guard r == 0 else { throw SocketError(call: "bind \(address)", errno: errno) }
            guard Glibc.listen(fd, backlog) == 0 else { throw SocketError(call: "listen", errno: errno) }
        } catch {
            s.close()
            throw error
        }
        return s
    }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32, _ what: String) throws(SocketError) {
        var v = value
        guard setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SocketError(call: what, errno: errno)
        }
    }

    /// The address the kernel bound (reports the port chosen for port 0).
    func localAddress() throws(SocketError) -> SocketAddress {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard r == 0 else { throw SocketError(call: "getsockname", errno: errno) }
        return SocketAddress(storage: storage)
    }

    /// accept, then O_NONBLOCK and FD_CLOEXEC (Glibc's Swift module does not
    /// export accept4); nil when no connection is pending.
    func accept() throws(SocketError) -> (Socket, SocketAddress)? {
        while true {
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(fd, $0, &len)
                }
            }
            if client >= 0 {
                let s = Socket(fd: client)
                guard fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK) == 0 else {
                    let e = errno
                    s.close()
                    throw SocketError(call: "fcntl(O_NONBLOCK)", errno: e)
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                // Small responses should leave at once, not wait for Nagle.
                try? s.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)")
                return (s, SocketAddress(storage: storage))
            }
            let e = errno
            switch e {
            case EAGAIN, EWOULDBLOCK: return nil
            case EINTR, ECONNABORTED, EPROTO: continue  // the peer gave up; try the next one
            default: throw SocketError(call: "accept", errno: e)
            }
        }
    }

    // MARK: I/O

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> ReadResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .endOfFile }
            let e = errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SocketError(call: "read", errno: e)
            }
        }
    }

    /// send with MSG_NOSIGNAL (a vanished peer is EPIPE, never SIGPIPE).
    /// Returns bytes sent, 0 when the socket buffer is full.
    func send(_ buffer: UnsafeRawBufferPointer) throws(SocketError) -> Int {
        while true {
            let n = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return n }
            let e = errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: throw SocketError(call: "send", errno: e)
            }
        }
    }

    /// shutdown(SHUT_WR): our side is done; the peer reads EOF after our last byte.
    func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    func close() {
        _ = Glibc.close(fd)
    }
}
