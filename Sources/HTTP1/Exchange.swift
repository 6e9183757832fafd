import Synchronization

/// One request/response pair on a connection: runs the route's handler on a
/// task whose executor is the connection, carries the request body to it as
/// it arrives and its response to the connection as it leaves, and cancels
/// it when the client goes. The connection moves the bytes; this decides what
/// the handler sees and what goes on the wire.
final class Exchange: @unchecked Sendable {  // state below is confined to `connection.queue`, except `cancellation` (a Mutex)
    let connection: Connection
    let head: HTTPRequestHead
    let parameters: [String: String]

    private var body = RequestBody()
    private var response = ResponseEncoder()
    private var continueSent = false
    /// What the response head promised about the connection.
    private(set) var keepAlive: Bool

    private struct Cancellation {
        var cancelled = false
        var reason: HTTPConnectionError?
        var handlers: [@Sendable () -> Void] = []
        var task: Task<Void, Never>?
    }
    private let cancellation = Mutex(Cancellation())

    init(connection: Connection, head: HTTPRequestHead, parameters: [String: String], keepAlive: Bool) {
        self.connection = connection
        self.head = head
        self.parameters = parameters
        self.keepAlive = keepAlive
    }

    // MARK: the handler's task

    /// Starts `handler` on a task that runs on the connection's queue (see `HTTPServer`).
    func run(_ handler: @escaping HTTPHandler) {
        let request = HTTPRequest(exchange: self)
        let response = HTTPResponse(exchange: self)
        let task = Task(executorPreference: connection) {
            var failure: (any Error)?
            do {
                try await handler(request, response)
            } catch {
                failure = error
            }
            // The usual case — a complete response, no error — needs nothing more.
            if failure == nil && response.isFinished { return }
            let f = failure
            self.connection.perform { self.handlerReturned(f) }
        }
        let cancelNow = cancellation.withLock { c -> Bool in
            c.task = task
            return c.cancelled
        }
        if cancelNow { task.cancel() }
    }

    var isCancelled: Bool { cancellation.withLock { $0.cancelled } }
    /// Why the exchange ended before its response (the first reason given).
    var cancellationReason: HTTPConnectionError? { cancellation.withLock { $0.reason } }

    /// Runs `handler` when the client goes away (at once if it already has).
    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = cancellation.withLock { c -> Bool in
            if c.cancelled { return true }
            c.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// The exchange is over before its response is: cancel handlers run, the
    /// task is cancelled, and a pending body read fails with `reason`.
    func cancel(_ reason: HTTPConnectionError) {
        let (handlers, task) = cancellation.withLock { c -> ([@Sendable () -> Void], Task<Void, Never>?) in
            if c.cancelled { return ([], nil) }
            c.cancelled = true
            c.reason = reason
            defer { c.handlers = [] }
            return (c.handlers, c.task)
        }
        for h in handlers { h() }
        task?.cancel()
        body.fail(reason)
    }

    // MARK: request body, from the connection's decoder

    func receive(_ bytes: [UInt8]) { body.receive(bytes) }
    func receiveEnd(trailers: HTTPHeaders) { body.receiveEnd(trailers: trailers) }
    /// The body is malformed or stalled: the handler's next read throws `error`.
    func failBody(_ error: any Error) { body.fail(error) }

    var bufferedBodyBytes: Int { body.bufferedBytes }
    var requestComplete: Bool { body.isComplete }
    /// The decoder's body events are no longer wanted (all arrived, or failed).
    var bodyFinished: Bool { body.isFinished }
    /// The handler is suspended waiting for body bytes.
    var awaitsBody: Bool { body.isAwaited }
    var trailers: HTTPHeaders { body.trailers }
    var responseComplete: Bool { response.isComplete }
    /// Nothing of the response is left to write, though `finish` may not have run yet.
    var responseWhollyWritten: Bool { response.isWhollyWritten }

    // MARK: operations of HTTPRequest and HTTPResponse (on the connection's queue)

    /// The next body piece for the handler (nil at the end of the body).
    func read(_ waiter: CheckedContinuation<[UInt8]?, any Error>) {
        let firstRead = body.noteRequest()
        if let result = body.take() {
            waiter.resume(with: result)
            if case .success(.some) = result { connection.bodyPieceTaken() }
            return
        }
        guard connection.isCurrent(self) else {
            return waiter.resume(throwing: HTTPConnectionError.clientDisconnected)
        }
        body.wait(waiter)
        // RFC 9110 §10.1.1: send 100 Continue only once the body is wanted.
        if firstRead, head.expectsContinue, !continueSent, !response.isStarted {
            continueSent = true
            connection.send(ResponseHead.continueLine)
        }
        connection.awaitingBody()
    }

    /// Starts (and for `.complete`, finishes) the response.
    func start(_ status: HTTPStatus, headers: HTTPHeaders, body: ResponseEncoder.Body) throws(HTTPConnectionError) {
        guard connection.isCurrent(self), !isCancelled else { throw .clientDisconnected }
        guard !response.isStarted else { throw .responseMisuse("the response was already started") }
        settleKeepAlive()
        let bytes = try response.start(status, headers: headers, body: body, request: head,
                                       keepAlive: &keepAlive, serverName: connection.context.serverName)
        connection.send(bytes)
        if response.isComplete { connection.exchangeFinished(self) }
    }

    /// Queues body bytes of a streamed response; suspends the caller (through
    /// `waiter`) while more than the high-water mark is queued.
    func write(_ bytes: [UInt8], waiter: CheckedContinuation<Void, any Error>) {
        guard connection.isCurrent(self), !isCancelled else {
            return waiter.resume(throwing: HTTPConnectionError.clientDisconnected)
        }
        do throws(HTTPConnectionError) {
            connection.send(try response.body(bytes))
        } catch {
            return waiter.resume(throwing: error)
        }
        connection.waitForOutputRoom(waiter)
    }

    func finish(trailers: HTTPHeaders) throws(HTTPConnectionError) {
        guard connection.isCurrent(self) else { throw .clientDisconnected }
        let (bytes, mustClose) = try response.finish(trailers: trailers)
        connection.send(bytes)
        if mustClose { connection.closeAfterExchange() }
        connection.exchangeFinished(self)
    }

    /// The handler's task ended; make sure the client got a complete answer.
    private func handlerReturned(_ error: (any Error)?) {
        guard connection.isCurrent(self), !response.isComplete else { return }
        if response.isStarted {
            if error != nil {
                // Mid-stream failure: framing is broken, only a close tells the client.
                return connection.abort(.clientDisconnected)
            }
            try? finish(trailers: HTTPHeaders())
            return
        }
        let httpError: HTTPError
        switch error {
        case let e as HTTPError:
            httpError = e
        case let e as HTTPParseError:
            httpError = HTTPError(e.status, e.message, type: "invalid_request_error")
        case let e as HTTPConnectionError where e == .clientDisconnected || e == .serverShutdown:
            return connection.abort(e)
        case let e?:
            httpError = HTTPError(.internalServerError, "internal error: \(e)", type: "internal_error")
        case nil:
            httpError = HTTPError(.internalServerError, "the handler returned without a response", type: "internal_error")
        }
        settleKeepAlive()
        response.sentWhole()
        connection.send(connection.context.errorResponse(httpError, version: head.version, keepAlive: keepAlive,
                                                         isHEAD: head.method == .HEAD))
        connection.exchangeFinished(self)
    }

    /// A response that starts before the request body has fully arrived
    /// (an early 201/4xx/503, or 100-continue never sent) ends the connection:
    /// the rest of the body cannot be skipped safely (RFC 9112 §9.6), so the
    /// head says `Connection: close` rather than promising a reuse that
    /// will not happen. So does a connection that is draining or already broken.
    private func settleKeepAlive() {
        if !body.isComplete { keepAlive = false }
        if !connection.mayKeepAlive { keepAlive = false }
    }
}
