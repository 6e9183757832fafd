/// The request-body side of one exchange: pieces the decoder produced that
/// the handler has not read yet, the end of the body (with its trailers) or
/// why it failed, and the handler's pending read.
struct RequestBody {  // lives in an `Exchange`, confined to the connection's queue
    private var pieces: [[UInt8]] = []
    private var nextPiece = 0
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?

    /// Bytes received and not yet read by the handler.
    private(set) var bufferedBytes = 0
    /// The decoder has produced the end of the body.
    private(set) var isComplete = false
    /// A chunked body's trailer fields (empty until `isComplete`).
    private(set) var trailers = HTTPHeaders()
    /// Why the body cannot be read further (malformed, too large, stalled, the client left).
    private(set) var failure: (any Error)?
    /// The handler has asked for the body at least once.
    private(set) var wasRequested = false

    /// A handler is suspended in `HTTPRequest.read()`.
    var isAwaited: Bool { waiter != nil }

    /// No more body events are wanted from the decoder.
    var isFinished: Bool { isComplete || failure != nil }

    /// A body piece from the decoder: to the waiting handler, else buffered.
    mutating func receive(_ bytes: [UInt8]) {
        if let w = waiter {
            waiter = nil
            w.resume(returning: bytes)
        } else {
            pieces.append(bytes)
            bufferedBytes += bytes.count
        }
    }

    /// The end of the body; a waiting handler (nothing is buffered then) gets nil.
    mutating func receiveEnd(trailers: HTTPHeaders) {
        isComplete = true
        self.trailers = trailers
        if let w = waiter, nextPiece == pieces.count {
            waiter = nil
            w.resume(returning: nil)
        }
    }

    /// The body cannot be read further; a waiting handler gets `error`, later
    /// reads the first failure.
    mutating func fail(_ error: any Error) {
        if failure == nil { failure = error }
        if let w = waiter {
            waiter = nil
            w.resume(throwing: error)
        }
    }

    /// Records that the handler asked for the body; true on its first ask.
    mutating func noteRequest() -> Bool {
        defer { wasRequested = true }
        return !wasRequested
    }

    /// What a read gets without waiting: a buffered piece, the failure, or nil
    /// (end of body) — or nothing when it has to wait for input.
    mutating func take() -> Result<[UInt8]?, any Error>? {
        if nextPiece < pieces.count {
            let piece = pieces[nextPiece]
            nextPiece += 1
            bufferedBytes -= piece.count
            if nextPiece == pieces.count {
                pieces.removeAll(keepingCapacity: true)
                nextPiece = 0
            }
            return .success(piece)
        }
        if let failure { return .failure(failure) }
        if isComplete { return .success(nil) }
        return nil
    }

    /// Suspends the handler's read until the next `receive`, `receiveEnd` or `fail`.
    mutating func wait(_ w: CheckedContinuation<[UInt8]?, any Error>) {
        waiter = w
    }
}
