/// One request/response pair on a connection: the request body as it arrives,
/// the response as it leaves, and the handler's cancellation.
final class Exchange: @unchecked Sendable {  // mutable state below is touched only on `connection.queue`, except `cancellation` (own lock)
    let connection: Connection
    let head: HTTPRequestHead
    let parameters: [String: String]

    // Request body.
    var chunks: [[UInt8]] = []
    var chunkIndex = 0
    var bufferedBodyBytes = 0
    var requestComplete = false
    var trailers = HTTPHeaders()
    var bodyFailure: (any Error)?
    var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
    var bodyRequested = false
    var continueSent = false

    // Response.
    var responseStarted = false
    var responseComplete = false
    var framing: ResponseFraming = .none
    var remainingLength = 0
    /// What the response head promised about the connection.
    var keepAlive: Bool

    struct Cancellation {
        var cancelled = false
        var handlers: [@Sendable () -> Void] = []
        var task: Task<Void, Never>?
    }
    let cancellation = Locked(Cancellation())

    init(connection: Connection, head: HTTPRequestHead, parameters: [String: String], keepAlive: Bool) {
        self.connection = connection
        self.head = head
        self.parameters = parameters
        self.keepAlive = keepAlive
    }

    var isCancelled: Bool { cancellation.withLock { $0.cancelled } }

    func setTask(_ task: Task<Void, Never>) {
        let cancelNow = cancellation.withLock { c -> Bool in
            c.task = task
            return c.cancelled
        }
        if cancelNow { task.cancel() }
    }

    /// Runs `handler` when the client goes away (at once if it already has).
    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = cancellation.withLock { c -> Bool in
            if c.cancelled { return true }
            c.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Marks the exchange cancelled, runs cancel handlers, cancels the task.
    func cancel() {
        let (handlers, task) = cancellation.withLock { c -> ([@Sendable () -> Void], Task<Void, Never>?) in
            if c.cancelled { return ([], nil) }
            c.cancelled = true
            defer { c.handlers = [] }
            return (c.handlers, c.task)
        }
        for h in handlers { h() }
        task?.cancel()
    }

    /// Queue: the next buffered body piece, if any.
    func popChunk() -> [UInt8]? {
        guard chunkIndex < chunks.count else { return nil }
        let chunk = chunks[chunkIndex]
        chunkIndex += 1
        bufferedBodyBytes -= chunk.count
        if chunkIndex == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            chunkIndex = 0
        }
        return chunk
    }
}
