import Dispatch

/// The watcher of a connection's socket for input: its event loop's epoll
/// set, or a Dispatch read source where the socket cannot join the set, and
/// whether reading is paused (flow control: TCP slows the client while the
/// connection holds too much unread input).
final class ConnectionInput {  // confined to the connection's queue, like its owner
    private let loop: EventLoop
    private var inLoop = false
    private var source: DispatchSourceRead?
    private(set) var isPaused = false

    init(loop: EventLoop) { self.loop = loop }

    /// Starts watching. `readable` runs on `queue` when input (or EOF) may be
    /// waiting; with the fallback source, `cancelled` runs once it is torn
    /// down. True when `connection` joined its loop's epoll set.
    func attach(_ connection: Connection, queue: DispatchQueue,
                readable: @escaping () -> Void, cancelled: @escaping () -> Void) -> Bool
    {
        if loop.register(connection) {
            inLoop = true
            return true
        }
        let rs = DispatchSource.makeReadSource(fileDescriptor: connection.socket.fd, queue: queue)
        rs.setEventHandler(handler: readable)
        rs.setCancelHandler(handler: cancelled)
        source = rs
        rs.activate()
        return false
    }

    func pause() {
        guard !isPaused else { return }
        isPaused = true
        source?.suspend()
    }

    /// Resumes reading; bytes already waiting are read on `connection`'s
    /// queue (an edge-triggered set raises no new event for them).
    func resume(_ connection: Connection) {
        guard isPaused else { return }
        isPaused = false
        if let rs = source { return rs.resume() }
        connection.queue.async { connection.inputReady() }
    }

    /// Stops watching `connection`'s socket. True when a cancel handler will
    /// run (the fallback source); false when the watch is already over.
    func cancel(_ connection: Connection) -> Bool {
        if let rs = source {
            rs.cancel()
            if isPaused { rs.resume() }  // a suspended source never runs its cancel handler
            return true
        }
        if inLoop {
            loop.deregister(connection)
            inLoop = false
        }
        return false
    }

    /// The descriptor is about to close: drop the source.
    func detach() { source = nil }
}
