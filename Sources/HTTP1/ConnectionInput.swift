import Dispatch

/// The receiving half of a connection: the watcher of its socket (its event
/// loop's epoll set, or a Dispatch read source where the socket cannot join
/// the set), the reads into the request decoder, and whether reading is
/// paused (flow control: TCP slows the client while the connection holds
/// too much unread input).
final class ConnectionInput {  // confined to the connection's queue, like its owner
    private let loop: EventLoop
    private var inLoop = false
    private var source: DispatchSourceRead?
    private(set) var isPaused = false

    init(loop: EventLoop) { self.loop = loop }

    enum ReadStop: Equatable {
        /// The socket has nothing more now.
        case drained
        /// The high-water mark is reached; reading is paused.
        case full
        case endOfFile
        /// The socket failed (reset): the client is gone.
        case failed
    }

    private static let readChunk = 64 * 1024

    /// Reads what the socket has into `decoder`, until it would block or
    /// until `decoder`'s bytes plus `alongside` (body bytes the handler has
    /// not taken) reach `highWater`, which pauses reading.
    func read(_ socket: Socket, into decoder: inout HTTPRequestDecoder, alongside: Int,
              highWater: Int) -> (stop: ReadStop, gotBytes: Bool)
    {
        var gotBytes = false
        while true {
            if decoder.bufferedByteCount + alongside >= highWater {
                pause()
                return (.full, gotBytes)
            }
            let result = withUnsafeTemporaryAllocation(byteCount: Self.readChunk, alignment: 16) { buffer -> Socket.ReadResult? in
                guard let r = try? socket.read(into: buffer) else { return nil }
                if case .bytes(let n) = r { decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
                return r
            }
            switch result {
            case .bytes(let n)?:
                gotBytes = true
                if n < Self.readChunk { return (.drained, true) }
            case .wouldBlock?: return (.drained, gotBytes)
            case .endOfFile?: return (.endOfFile, gotBytes)
            case nil: return (.failed, gotBytes)
            }
        }
    }

    /// Reads and drops whatever the socket has (a lingering close); true at
    /// its end (EOF or an error), when the connection can close.
    func discardAll(_ socket: Socket) -> Bool {
        while true {
            let r = withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { buffer in
                try? socket.read(into: buffer)
            }
            switch r {
            case .bytes?: continue
            case .wouldBlock?: return false
            case .endOfFile?, nil: return true
            }
        }
    }

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
