import Dispatch
import Glibc

/// A serial queue that owns an edge-triggered epoll set of connection sockets.
///
/// Why not one `DispatchSourceRead` per connection: on Linux, libdispatch
/// delivers every source event from its manager thread to a worker and
/// re-arms the one-shot registration by signalling the manager through an
/// eventfd — several thread wake-ups per keep-alive request. Here one Dispatch
/// read source watches the epoll descriptor itself (an epoll fd is pollable);
/// when it fires, `poll()` collects every ready socket of the loop with one
/// `epoll_wait(…, 0)` and schedules their reads on their connection queues,
/// which target this loop — so a busy loop serves many requests per wake-up
/// and sockets are never re-armed (edge-triggered, `epoll(7)`).
///
/// Every connection queue targets `queue`, so `connections` (touched only
/// from blocks on those queues or on `queue`) is confined to one serial context.
final class EventLoop: @unchecked Sendable {  // `connections` is confined to `queue` (and queues targeting it)
    let queue: DispatchQueue
    private let epfd: Int32
    private var source: DispatchSourceRead?
    private var connections: [Int: Connection] = [:]

    init(index: Int) {
        queue = DispatchQueue(label: "lorad.http.loop\(index)", target: .global())
        epfd = Epoll.create()
        guard epfd >= 0 else { return }  // `register` then reports failure; connections fall back to Dispatch sources
        let s = DispatchSource.makeReadSource(fileDescriptor: epfd, queue: queue)
        s.setEventHandler { [weak self] in self?.poll() }
        s.activate()
        source = s
    }

    deinit {
        source?.cancel()
        if epfd >= 0 { Glibc.close(epfd) }
    }

    /// Watches `connection`'s socket for input (edge-triggered). Call on the
    /// connection's queue. False when the socket cannot be added.
    func register(_ connection: Connection) -> Bool {
        guard epfd >= 0 else { return false }
        guard Epoll.control(epfd, Epoll.add, connection.socket.fd,
                            events: Epoll.input | Epoll.readHangUp | Epoll.edgeTriggered,
                            data: UInt64(connection.id)) else { return false }
        connections[connection.id] = connection
        return true
    }

    /// Stops watching; call before the socket is closed, on the connection's queue.
    func deregister(_ connection: Connection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        _ = Epoll.control(epfd, Epoll.delete, connection.socket.fd, events: 0, data: 0)
    }

    private func poll() {
        let capacity = 128
        withUnsafeTemporaryAllocation(byteCount: capacity * Epoll.eventStride, alignment: 8) { buffer in
            while true {
                let n = Epoll.poll(epfd, into: buffer) { data in
                    guard let c = connections[Int(data)] else { return }
                    // Run on the connection's queue (it targets this loop, so
                    // no other thread wakes): handler tasks and `perform`
                    // expect to find themselves there.
                    c.queue.async { c.inputReady() }
                }
                if n < capacity { return }
            }
        }
    }
}
