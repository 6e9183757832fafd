import Dispatch
import Foundation

/// One accepted TCP connection: reads bytes into the request decoder, runs one
/// exchange at a time (pipelined requests wait in the decoder's buffer and are
/// answered in order), writes responses with back-pressure, and enforces
/// timeouts. Driven by its event loop's epoll set (input), a Dispatch write
/// source (only while output is backed up) and a timer, on a non-blocking
/// socket — no thread of its own, so an idle connection costs only its buffers.
final class Connection: TaskExecutor, @unchecked Sendable {  // all mutable state is confined to `queue` (serial)
    enum State { case open, closing, lingering, closed }

    let id: Int
    let socket: Socket
    let remote: SocketAddress
    let queue: DispatchQueue
    /// Watches the socket for input when `readSource` is nil.
    let loop: EventLoop
    var inLoop = false
    let context: ServerContext
    var limits: HTTPLimits { context.limits }

    var state = State.open
    var decoder: HTTPRequestDecoder
    var exchange: Exchange?
    /// The peer closed its sending side.
    var peerEOF = false
    /// Something went wrong that makes reusing the connection unsafe.
    var mustClose = false

    // Sources.
    var readSource: DispatchSourceRead?
    var writeSource: DispatchSourceWrite?
    var timer: DispatchSourceTimer?
    var readPaused = false
    enum WriteSourceState { case inactive, running, suspended }
    var writeSourceState = WriteSourceState.inactive
    var openSources = 2

    // Output.
    var out: [UInt8] = []
    var outStart = 0
    var writeWaiter: CheckedContinuation<Void, any Error>?
    var pendingOut: Int { out.count - outStart }

    // Clocks (DispatchTime uptime nanoseconds).
    var idleSince: UInt64 = 0
    var headStartedAt: UInt64?
    var lastReadProgress: UInt64 = 0
    var lastWriteProgress: UInt64 = 0
    var lingerDeadline: UInt64 = 0
    var armedDeadline: UInt64 = .max

    static let readChunk = 64 * 1024
    static let lingerTimeout: UInt64 = 2_000_000_000

    init(id: Int, socket: Socket, remote: SocketAddress, loop: EventLoop, context: ServerContext) {
        let queue = DispatchQueue(label: "lorad.http.connection", target: loop.queue)
        self.loop = loop
        self.id = id
        self.socket = socket
        self.remote = remote
        self.queue = queue
        self.context = context
        self.decoder = HTTPRequestDecoder(limits: context.limits)
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
        let ws = DispatchSource.makeWriteSource(fileDescriptor: socket.fd, queue: queue)
        ws.setEventHandler { [self] in flush() }
        ws.setCancelHandler { [self] in sourceCancelled() }
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.setEventHandler { [self] in timerFired() }
        writeSource = ws
        timer = t
        idleSince = Self.now()
        lastReadProgress = idleSince
        t.activate()
        if loop.register(self) {
            inLoop = true
            readable()  // bytes that arrived before registration raise no edge
        } else {
            let rs = DispatchSource.makeReadSource(fileDescriptor: socket.fd, queue: queue)
            rs.setEventHandler { [self] in readable() }
            rs.setCancelHandler { [self] in sourceCancelled() }
            readSource = rs
            rs.activate()
        }
        updateTimer()
        if context.isDraining { closeNow() }
    }

    // MARK: reading

    /// The event loop saw input (or EOF) on the socket.
    func inputReady() {
        if readPaused { return }  // `resumeReading` reads what is there
        readable()
    }

    func readable() {
        switch state {
        case .open: break
        case .lingering: return discardLingering()
        case .closing, .closed: return pauseReading()
        }
        var gotEOF = false
        readLoop: while true {
            if decoder.bufferedByteCount + (exchange?.bufferedBodyBytes ?? 0) >= limits.readBufferHighWater {
                pauseReading()
                break
            }
            let result = withUnsafeTemporaryAllocation(byteCount: Self.readChunk, alignment: 16) { buffer -> Result<Socket.ReadResult, SocketError> in
                do throws(SocketError) {
                    let r = try socket.read(into: buffer)
                    if case .bytes(let n) = r { decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
                    return .success(r)
                } catch {
                    return .failure(error)
                }
            }
            switch result {
            case .success(.bytes(let n)):
                lastReadProgress = Self.now()
                if n < Self.readChunk { break readLoop }
            case .success(.wouldBlock):
                break readLoop
            case .success(.endOfFile):
                gotEOF = true
                break readLoop
            case .failure:
                return abort(.clientDisconnected)
            }
        }
        if exchange == nil, headStartedAt == nil, !decoder.isIdle { headStartedAt = Self.now() }
        process()
        if gotEOF { peerClosed() }
    }

    /// The peer sent FIN. With no exchange in progress there is nothing to
    /// answer; during one, the client has gone (we do not serve half-closed
    /// clients: no HTTP client we know of half-closes and waits).
    private func peerClosed() {
        peerEOF = true
        pauseReading()
        guard state == .open else { return }
        if let ex = exchange, !ex.responseComplete {
            abort(.clientDisconnected)
        } else {
            closeNow()
        }
    }

    func pauseReading() {
        guard !readPaused else { return }
        readPaused = true
        readSource?.suspend()
    }

    func resumeReading() {
        guard readPaused, !peerEOF else { return }
        guard decoder.bufferedByteCount + (exchange?.bufferedBodyBytes ?? 0) < limits.readBufferHighWater else { return }
        readPaused = false
        if let rs = readSource { return rs.resume() }
        // Edge-triggered: no new event comes for bytes already waiting.
        queue.async { [self] in inputReady() }
    }

    // MARK: request processing

    /// Pulls decoder events while the current exchange can take them.
    func process() {
        while state == .open {
            if let ex = exchange {
                if ex.requestComplete || ex.bodyFailure != nil { break }
                if ex.bufferedBodyBytes >= limits.readBufferHighWater / 2 { break }
            } else if context.isDraining {
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
            case .head(let head):
                beginExchange(head)
            case .body(let bytes):
                guard let ex = exchange else { break }
                if let waiter = ex.bodyWaiter {
                    ex.bodyWaiter = nil
                    waiter.resume(returning: bytes)
                } else {
                    ex.chunks.append(bytes)
                    ex.bufferedBodyBytes += bytes.count
                }
            case .end(let trailers):
                guard let ex = exchange else { break }
                ex.requestComplete = true
                ex.trailers = trailers
                if let waiter = ex.bodyWaiter, ex.chunkIndex == ex.chunks.count {
                    ex.bodyWaiter = nil
                    waiter.resume(returning: nil)
                }
            }
        }
        if state == .open { resumeReading() }
        updateTimer()
    }

    private func parseFailed(_ error: HTTPParseError) {
        let httpError = HTTPError(error.status, error.message, type: "invalid_request_error")
        if let ex = exchange {
            // The head was fine; the body is not. The handler learns it from its
            // next read, and the connection closes after its response.
            mustClose = true
            ex.bodyFailure = httpError
            if let waiter = ex.bodyWaiter {
                ex.bodyWaiter = nil
                waiter.resume(throwing: httpError)
            }
        } else {
            sendAndClose(context.errorResponse(httpError, version: .http1_1, keepAlive: false))
        }
    }

    private func beginExchange(_ head: HTTPRequestHead) {
        headStartedAt = nil
        var handler: HTTPHandler
        var parameters: [String: String] = [:]
        var limit = limits.maxBodyBytes
        switch context.router.withLock({ $0.match(head.method, head.pathSegments) }) {
        case .found(let route, let params):
            handler = route.handler
            parameters = params
            limit = route.maxBodyBytes ?? limit
        case .methodNotAllowed(let allow):
            let allowText = allow.map(\.rawValue).joined(separator: ", ")
            handler = { _, _ in
                throw HTTPError(.methodNotAllowed, "\(head.method) is not allowed on \(head.path); allowed: \(allowText)",
                                headers: ["Allow": allowText], type: "invalid_request_error")
            }
        case .notFound:
            handler = { _, _ in throw HTTPError(.notFound, "no route for \(head.method) \(head.path)", type: "not_found") }
        }
        decoder.bodyLimit = limit
        if case .contentLength(let n) = head.framing, n > limit {
            // Refuse before the handler runs (and before `100 Continue`).
            let limit = limit
            handler = { _, _ in
                throw HTTPError(.contentTooLarge, "request body of \(n) bytes exceeds this endpoint's limit of \(limit) bytes",
                                type: "invalid_request_error")
            }
        }
        let ex = Exchange(connection: self, head: head, parameters: parameters,
                          keepAlive: head.keepAlive && !context.isDraining)
        exchange = ex
        let request = HTTPRequest(exchange: ex)
        let response = HTTPResponse(exchange: ex)
        let task = Task(executorPreference: self) {
            var failure: (any Error)?
            do {
                try await handler(request, response)
            } catch {
                failure = error
            }
            // The usual case — a complete response, no error — needs nothing more.
            if failure == nil && response.isFinished { return }
            let f = failure
            ex.connection.perform { ex.connection.handlerReturned(ex, f) }
        }
        ex.setTask(task)
    }

    /// Called once the response is complete and (if reusable) the request too.
    func finishExchange(_ ex: Exchange) {
        guard exchange === ex, state == .open else { return }
        let reusable = ex.keepAlive && ex.requestComplete && !mustClose && !peerEOF && !context.isDraining
        exchange = nil
        guard reusable else { return closeAfterFlush() }
        let now = Self.now()
        idleSince = now
        headStartedAt = decoder.isIdle ? nil : now
        process()
    }
}
