import Dispatch
import Foundation
import Synchronization

/// One accepted TCP connection — the transport. It moves bytes: reads the
/// socket into the request decoder and hands the decoded events to the
/// current `Exchange` (one at a time; pipelined requests wait in the
/// decoder's buffer and are answered in order, each once the earlier
/// responses have mostly left), sends what the exchange produces with
/// back-pressure (`ConnectionOutput`), enforces timeouts
/// (`ConnectionTimeouts`) and closes gracefully. Which handler runs is the
/// router's decision; what a response looks like is the exchange's.
///
/// Driven by its event loop's epoll set (input), a Dispatch write source
/// (only while output is backed up) and a timer, on a non-blocking socket —
/// no thread of its own, so an idle connection costs only its buffers.
final class Connection: TaskExecutor, @unchecked Sendable {  // all mutable state is confined to `queue` (serial)
    enum State { case open, closing, lingering, closed }

    let id: Int
    let socket: Socket
    let remote: SocketAddress
    /// The bound address of the listener that accepted it.
    let listener: SocketAddress
    let queue: DispatchQueue
    let context: ServerContext
    private var limits: HTTPLimits { context.limits }

    // The state below is internal rather than private because closing
    // (Connection+Closing.swift) changes it; only this type touches it.
    var state = State.open
    var decoder: HTTPRequestDecoder
    var exchange: Exchange?
    /// The peer closed its sending side.
    var peerEOF = false
    /// Something went wrong that makes reusing the connection unsafe.
    var mustClose = false
    /// A request head has arrived on this connection (it is no longer fresh).
    private var hadRequest = false
    /// The client has sent a request before the response to the previous one
    /// was complete: a FIN from it is a half-close (see `peerClosed`).
    private var pipelines = false
    /// Between exchanges, the next request waits (unread, or unparsed in the
    /// decoder) until the earlier responses have mostly been sent; see `process`.
    private var awaitingOutputRoom = false

    /// Since when the connection has been idle (`ConnectionWait.idle` or
    /// `.fresh`), 0 while it is not: read by the accept path, which closes
    /// the connection idle the longest to make room at `maxConnections`.
    let idleMark = Atomic<UInt64>(0)
    private var markedIdle = false

    let input: ConnectionInput
    let output: ConnectionOutput
    /// Watchers whose teardown is still outstanding (input, output); the
    /// descriptor closes when both are gone.
    var openSources = 2
    let timeouts: ConnectionTimeouts


    init(id: Int, socket: Socket, remote: SocketAddress, listener: SocketAddress, loop: EventLoop, context: ServerContext) {
        let queue = DispatchQueue(label: "lorad.http.connection", target: loop.queue)
        self.id = id
        self.socket = socket
        self.remote = remote
        self.listener = listener
        self.queue = queue
        self.context = context
        self.decoder = HTTPRequestDecoder(limits: context.limits)
        input = ConnectionInput(loop: loop)
        output = ConnectionOutput(socket: socket, highWater: context.limits.writeBufferHighWater)
        timeouts = ConnectionTimeouts(limits: context.limits, now: Self.now())
        queue.setSpecific(key: Self.queueKey, value: ObjectIdentifier(self).hashValue)
    }

    private static let queueKey = DispatchSpecificKey<Int>()

    /// Runs `body` on the connection's queue: inline when already there (a
    /// handler task runs on this queue), else synchronously via `sync`, which
    /// libdispatch executes on the calling thread when the queue is idle.
    func perform<T>(_ body: () throws -> T) rethrows -> T {
        if DispatchQueue.getSpecific(key: Self.queueKey) == ObjectIdentifier(self).hashValue {
            return try body()
        }
        return try queue.sync(execute: body)
    }

    /// Handler tasks run on this connection's queue (see `HTTPServer`).
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func start() {
        queue.async { self.setUp() }
    }

    private func setUp() {
        output.attach(queue: queue, writable: { [self] in flush() }, cancelled: { [self] in sourceCancelled() })
        let now = Self.now()
        timeouts.idleSince = now
        timeouts.headStartedAt = now  // the first request's head is due from the accept
        timeouts.lastRead = now
        timeouts.attach(queue: queue) { [self] in timerFired() }
        if input.attach(self, queue: queue, readable: { [self] in inputReady() }, cancelled: { [self] in sourceCancelled() }) {
            readable()  // bytes that arrived before registration raise no edge
        }
        updateTimer()
        if context.isDraining { closeNow() }
    }

    // MARK: input

    /// The event loop saw input (or EOF) on the socket.
    func inputReady() {
        if input.isPaused { return }  // `resumeReading` reads what is there
        readable()
    }

    private func readable() {
        switch state {
        case .open: break
        case .lingering: return discardLingering()
        case .closing, .closed: return pauseReading()
        }
        let (stop, gotBytes) = input.read(socket, into: &decoder, alongside: exchange?.bufferedBodyBytes ?? 0,
                                          highWater: limits.readBufferHighWater)
        if stop == .failed { return abort(.clientDisconnected) }
        if gotBytes { timeouts.lastRead = Self.now() }
        if exchange == nil, timeouts.headStartedAt == nil, !decoder.isIdle { timeouts.headStartedAt = Self.now() }
        process()
        if stop == .endOfFile { peerClosed() }
    }

    /// The peer sent FIN. A client that pipelines may half-close once it has
    /// sent all its requests and still read the answers: those it sent whole
    /// are answered in order, and the connection closes after the last.
    /// Otherwise a FIN during an exchange means the client has gone (clients
    /// that send one request at a time close rather than half-close and
    /// wait), and its handler is cancelled — unless the response's last byte
    /// has already left: a client that read a Content-Length body to its end
    /// may close before the handler's `finish` runs, and that exchange
    /// succeeded.
    private func peerClosed() {
        peerEOF = true
        pauseReading()
        guard state == .open else { return }
        if let ex = exchange, !ex.responseComplete, !(ex.responseWhollyWritten && output.pending == 0),
           !(ex.requestComplete && (pipelines || !decoder.isIdle)) {
            return abort(.clientDisconnected)
        }
        process()  // closes after the output once no whole request is left
    }

    private func pauseReading() { input.pause() }

    private func resumeReading() {
        guard input.isPaused, !peerEOF else { return }
        guard decoder.bufferedByteCount + (exchange?.bufferedBodyBytes ?? 0) < limits.readBufferHighWater else { return }
        input.resume(self)
    }

    // MARK: decoding

    /// Pulls decoder events while the current exchange can take them.
    private func process() {
        while state == .open {
            if let ex = exchange {
                if ex.bodyFinished { break }
                if ex.bufferedBodyBytes >= limits.readBufferHighWater / 2 { break }
            } else if context.isDraining {
                break
            } else if awaitingOutputRoom || output.isBackedUp {
                // More than the high-water mark of earlier responses is
                // unsent: begin no further exchange, and read no more, until
                // the client has taken most of it. RFC 9112 §9.3.2 lets a
                // client pipeline and asks of the server only that responses
                // go out in request order; nothing obliges it to answer
                // ahead. One that never stops queues a response per request
                // for a client that sends cheap requests and reads nothing
                // (gigabytes from one connection). Unread input lets TCP flow
                // control slow the client down.
                awaitingOutputRoom = true
                pauseReading()
                break
            }
            let event: HTTPRequestDecoderEvent?
            do {
                event = try decoder.next()
            } catch {
                parseFailed(error)
                break
            }
            guard let event else { break }
            switch event {
            case .head(let head): beginExchange(head)
            case .body(let bytes):
                timeouts.bodyPace.receive(bytes.count)
                exchange?.receive(bytes)
            case .end(let trailers): exchange?.receiveEnd(trailers: trailers)
            }
        }
        if state == .open, !awaitingOutputRoom {
            if peerEOF && exchange == nil { closeAfterFlush() } else { resumeReading() }
        }
        updateTimer()
    }

    private func parseFailed(_ error: HTTPParseError) {
        let httpError = HTTPError(error.status, error.message, type: "invalid_request_error")
        if let ex = exchange {
            // The head was fine; the body is not. The handler learns it from its
            // next read, and the connection closes after its response.
            mustClose = true
            ex.failBody(httpError)
        } else {
            reportServerAnswer(error.status.code, reason: error.kind.rawValue)
            sendAndClose(context.errorResponse(httpError, version: .http1_1, keepAlive: false))
        }
    }

    /// Tells the application of a refusal before any request line was
    /// parsed (`ServerAnswer`: no method, no path).
    private func reportServerAnswer(_ status: Int, reason: String) {
        context.onServerAnswer?(ServerAnswer(status: status, method: nil, path: nil, reason: reason))
    }

    private func beginExchange(_ head: HTTPRequestHead) {
        timeouts.headStartedAt = nil
        timeouts.bodyPace = BodyPace()
        hadRequest = true
        let report = context.onServerAnswer
        let route = context.router.withLock { $0.decide(head, defaultBodyLimit: limits.maxBodyBytes, report: report) }
        decoder.bodyLimit = route.bodyLimit
        let ex = Exchange(connection: self, head: head, parameters: route.parameters,
                          keepAlive: head.keepAlive && !context.isDraining)
        exchange = ex
        ex.run(route.handler)
    }

    /// The response is complete (and, if the connection is reusable, the request too).
    private func finishExchange(_ ex: Exchange) {
        guard exchange === ex, state == .open else { return }
        // A FIN does not end reuse here: requests pipelined before it are
        // still answered (`peerClosed`), and `process` closes after the last.
        let reusable = ex.keepAlive && ex.requestComplete && !mustClose && !context.isDraining
        exchange = nil
        guard reusable else { return closeAfterFlush() }
        if !decoder.isIdle { pipelines = true }
        let now = Self.now()
        timeouts.idleSince = now
        timeouts.headStartedAt = decoder.isIdle ? nil : now
        process()
    }

    // MARK: what the current exchange asks of the transport

    /// True while `ex` is the exchange in progress on an open connection.
    func isCurrent(_ ex: Exchange) -> Bool { state == .open && exchange === ex }

    /// False once the connection will close after the current response.
    var mayKeepAlive: Bool { !context.isDraining && !mustClose }

    /// Only a close can end the current response.
    func closeAfterExchange() { mustClose = true }

    /// The exchange's response is complete.
    func exchangeFinished(_ ex: Exchange) {
        if state == .open { finishExchange(ex) }
    }

    /// The handler took a buffered body piece: there may be room for more input.
    func bodyPieceTaken() {
        if state == .open { process() }
    }

    /// The handler waits for body bytes; its wait is timed from now.
    func awaitingBody() {
        timeouts.lastRead = Self.now()
        process()
    }

    /// Suspends a streaming handler (through `waiter`) while too much output is queued.
    func waitForOutputRoom(_ waiter: CheckedContinuation<Void, any Error>) {
        guard state == .open else { return waiter.resume(throwing: HTTPConnectionError.clientDisconnected) }
        if output.waitForRoom(waiter) { updateTimer() }
    }

    // MARK: output

    /// Queues `bytes` and sends as much as the socket takes now.
    func send(_ bytes: [UInt8]) {
        guard state == .open || state == .closing else { return }
        switch output.send(bytes) {
        case .sent: break
        case .queued: updateTimer()
        case .failed: abort(.clientDisconnected)
        }
    }

    /// Write source handler: the socket can take more.
    private func flush() {
        guard state == .open || state == .closing else { return output.disarm() }
        guard output.flush() else { return abort(.clientDisconnected) }
        if state == .closing {
            if output.pending == 0 { startLinger() }
            return
        }
        if awaitingOutputRoom, output.hasRoom {
            awaitingOutputRoom = false
            // Nothing was read meanwhile: the time a partial head sat unread was ours.
            if timeouts.headStartedAt != nil { timeouts.headStartedAt = Self.now() }
            process()
        }
        if state == .open, output.pending == 0, exchange == nil {
            // Keep-alive idleness starts once the last response has left,
            // not when it was queued.
            timeouts.idleSince = Self.now()
            updateTimer()
        }
    }

    // MARK: timeouts

    /// What the connection waits for now, which decides when it times out.
    private var wait: ConnectionWait {
        switch state {
        case .closed: return .nothing
        case .lingering: return .linger
        case .closing: return .send
        case .open:
            if output.pending > 0 { return .send }
            if let ex = exchange { return ex.awaitsBody ? .body : .handler }
            if !decoder.isIdle { return .head }
            return hadRequest ? .idle : .fresh
        }
    }

    /// Re-evaluates the deadline after a change; also keeps the body pace's
    /// wait clock and `idleMark` in step with what the connection waits for.
    func updateTimer() {
        let wait = self.wait
        if timeouts.bodyPace.isWaiting != (wait == .body) {
            timeouts.bodyPace.setWaiting(wait == .body, now: Self.now())
        }
        let idle = wait == .idle || wait == .fresh
        if idle != markedIdle {
            markedIdle = idle
            idleMark.store(idle ? max(1, timeouts.idleSince) : 0, ordering: .relaxed)
        }
        timeouts.arm(timeouts.deadline(wait, lastWrite: output.lastProgress))
    }

    private func timerFired() {
        timeouts.fired()
        let wait = self.wait
        guard let deadline = timeouts.deadline(wait, lastWrite: output.lastProgress) else { return }
        if Self.now() < deadline { return updateTimer() }
        switch wait {
        case .nothing, .handler:
            return
        case .linger:
            return closeNow()
        case .send:
            // Closing: give up on the flush; open: the client stopped reading.
            return state == .closing ? closeNow() : abort(.clientDisconnected)
        case .body:
            // Body stalled or too slow: the handler's read fails with 408; close afterwards.
            mustClose = true
            exchange?.failBody(HTTPError(.requestTimeout, timeouts.bodyTimeoutMessage(now: Self.now()), type: "timeout"))
            updateTimer()
        case .idle, .fresh:
            closeNow()
        case .head:
            let error = HTTPError(.requestTimeout, "request header not received within \(limits.headerReadTimeout)", type: "timeout")
            reportServerAnswer(error.status.code, reason: "headerTimeout")
            sendAndClose(context.errorResponse(error, version: .http1_1, keepAlive: false))
        }
    }
}
