import Glibc

/// `epoll(7)`, which Swift's Glibc module does not import (`sys/epoll.h` is
/// not in its module map): the three calls are looked up with `dlsym`, and
/// `struct epoll_event` is laid out by hand. Constants from `<sys/epoll.h>`.
enum Epoll {
    static let input: UInt32 = 0x001           // EPOLLIN
    static let readHangUp: UInt32 = 0x2000     // EPOLLRDHUP
    static let edgeTriggered: UInt32 = 1 << 31 // EPOLLET
    static let add: Int32 = 1                  // EPOLL_CTL_ADD
    static let delete: Int32 = 2               // EPOLL_CTL_DEL
    static let closeOnExec: Int32 = 0o2000000  // EPOLL_CLOEXEC == O_CLOEXEC

    /// `sizeof(struct epoll_event)`: `{ uint32_t events; uint64_t data; }`,
    /// packed on x86-64 (12 bytes), naturally aligned elsewhere (16 bytes).
    #if arch(x86_64)
    static let eventStride = 12
    static let dataOffset = 4
    #else
    static let eventStride = 16
    static let dataOffset = 8
    #endif

    private typealias Create1 = @convention(c) (Int32) -> Int32
    private typealias Ctl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32

    private struct Functions: @unchecked Sendable {  // immutable C function pointers
        let create1: Create1
        let ctl: Ctl
        let wait: Wait
    }

    private static let functions: Functions? = {
        guard let libc = dlopen(nil, RTLD_NOW),
              let c = dlsym(libc, "epoll_create1"), let t = dlsym(libc, "epoll_ctl"), let w = dlsym(libc, "epoll_wait")
        else { return nil }
        return Functions(create1: unsafeBitCast(c, to: Create1.self), ctl: unsafeBitCast(t, to: Ctl.self),
                         wait: unsafeBitCast(w, to: Wait.self))
    }()

    /// A new epoll descriptor, or -1.
    static func create() -> Int32 { functions?.create1(closeOnExec) ?? -1 }

    /// `epoll_ctl(epfd, op, fd, {events, data})`; true on success.
    static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Bool {
        guard let f = functions else { return false }
        return withUnsafeTemporaryAllocation(byteCount: eventStride, alignment: 8) { p in
            p.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: data, toByteOffset: dataOffset, as: UInt64.self)
            return f.ctl(epfd, op, fd, p.baseAddress) == 0
        }
    }

    /// `epoll_wait(epfd, …, 0)` into `buffer` (`eventStride` bytes per event);
    /// calls `body` with each ready event's data word. Returns the event count.
    static func poll(_ epfd: Int32, into buffer: UnsafeMutableRawBufferPointer, _ body: (UInt64) -> Void) -> Int {
        guard let f = functions else { return 0 }
        let n = Int(f.wait(epfd, buffer.baseAddress, Int32(buffer.count / eventStride), 0))
        for i in 0..<max(n, 0) {
            body(buffer.loadUnaligned(fromByteOffset: i * eventStride + dataOffset, as: UInt64.self))
        }
        return n
    }
}
