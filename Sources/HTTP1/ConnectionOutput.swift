import Dispatch

/// The sending half of a connection: bytes the socket has not taken yet, the
/// Dispatch write source that drains them (active only while output is
/// backed up), and the handler suspended until there is room again
/// (back-pressure against a client that reads slowly).
final class ConnectionOutput {  // confined to the connection's queue, like its owner
    enum SendOutcome {
        /// Everything went out at once.
        case sent
        /// Part of it waits for the socket; the write source is armed.
        case queued
        /// The socket refused it (the peer is gone).
        case failed
    }

    private let socket: Socket
    private let highWater: Int
    private var source: DispatchSourceWrite?
    private enum SourceState { case inactive, running, suspended }
    private var sourceState = SourceState.inactive

    /// Bytes not yet sent: `queued[start...]`.
    private var queued: [UInt8] = []
    private var start = 0
    private var roomWaiter: CheckedContinuation<Void, any Error>?

    /// When the socket last took bytes (`DispatchTime` uptime nanoseconds).
    private(set) var lastProgress: UInt64 = 0

    init(socket: Socket, highWater: Int) {
        self.socket = socket
        self.highWater = highWater
    }

    /// Creates the write source; `writable` runs on `queue` when the socket
    /// can take more, `cancelled` once the source is torn down.
    func attach(queue: DispatchQueue, writable: @escaping () -> Void, cancelled: @escaping () -> Void) {
        let ws = DispatchSource.makeWriteSource(fileDescriptor: socket.fd, queue: queue)
        ws.setEventHandler(handler: writable)
        ws.setCancelHandler(handler: cancelled)
        source = ws
    }

    /// Bytes queued and not yet sent.
    var pending: Int { queued.count - start }

    /// More than the high-water mark is queued: a streaming handler waits
    /// (`waitForRoom`), and the connection begins no further pipelined exchange.
    var isBackedUp: Bool { pending > highWater }

    /// At most half the high-water mark is queued: what a waiter waits for
    /// (not just below the mark, so it is not woken for every few bytes the
    /// socket takes).
    var hasRoom: Bool { pending <= highWater / 2 }

    /// Queues `bytes` and sends as much as the socket takes now.
    func send(_ bytes: [UInt8]) -> SendOutcome {
        guard !bytes.isEmpty else { return .sent }
        guard pending == 0 else {
            queued.append(contentsOf: bytes)
            return .queued
        }
        let sent: Int
        do {
            sent = try bytes.withUnsafeBytes { try socket.send($0) }
        } catch {
            return .failed
        }
        if sent == bytes.count { return .sent }
        queued.removeAll(keepingCapacity: true)
        start = 0
        queued.append(contentsOf: bytes[sent...])
        lastProgress = Connection.now()
        arm()
        return .queued
    }

    /// Write source handler: sends what the socket takes; wakes a handler
    /// waiting for room once at most half the high-water mark is queued.
    /// False when the socket failed.
    func flush() -> Bool {
        while pending > 0 {
            let sent: Int
            do {
                sent = try queued.withUnsafeBytes { p in
                    try socket.send(UnsafeRawBufferPointer(rebasing: p[start...]))
                }
            } catch {
                return false
            }
            if sent == 0 { break }
            start += sent
            lastProgress = Connection.now()
        }
        if pending == 0 {
            // Keep a small buffer for the next response; give big ones back so
            // an idle connection never pins a past download's memory.
            if queued.capacity > 64 * 1024 { queued = [] } else { queued.removeAll(keepingCapacity: true) }
            start = 0
            disarm()
        } else if start >= 1 << 20, start >= pending {
            // Drop the sent prefix only once it is at least as long as what
            // is left: each compaction then moves fewer bytes than were sent
            // since the last one, so a big response costs linear time, not a
            // copy of the rest per MiB sent. (The queue holds at most the
            // high-water mark plus one response now, but one response — a
            // `send` of a large body — can be any size.)
            queued.removeSubrange(0..<start)
            start = 0
        }
        if hasRoom, let waiter = roomWaiter {
            roomWaiter = nil
            waiter.resume()
        }
        return true
    }

    /// Resumes `waiter` now, or — with more than the high-water mark queued —
    /// once `flush` has drained half of it. True when the caller waits.
    func waitForRoom(_ waiter: CheckedContinuation<Void, any Error>) -> Bool {
        guard isBackedUp else {
            waiter.resume()
            return false
        }
        roomWaiter = waiter
        return true
    }

    /// A handler waiting for room learns that the exchange is over.
    func failWaiter(_ error: HTTPConnectionError) {
        guard let waiter = roomWaiter else { return }
        roomWaiter = nil
        waiter.resume(throwing: error)
    }

    /// Stops watching the socket (the connection is going away). False when
    /// there was no source, so no cancel handler will run.
    func cancel() -> Bool {
        guard let ws = source else { return false }
        ws.cancel()
        // A cancelled source still has to be activated or resumed for its
        // cancel handler to run.
        switch sourceState {
        case .inactive: ws.activate()
        case .suspended: ws.resume()
        case .running: break
        }
        return true
    }

    /// The source's cancel handler ran: drop it, so no handler can outlive the descriptor.
    func detach() { source = nil }

    private func arm() {
        guard let ws = source else { return }
        switch sourceState {
        case .inactive: ws.activate()
        case .suspended: ws.resume()
        case .running: return
        }
        sourceState = .running
    }

    /// Suspends the write source (nothing to send, or nobody to send to).
    func disarm() {
        guard sourceState == .running, let ws = source else { return }
        ws.suspend()
        sourceState = .suspended
    }
}
