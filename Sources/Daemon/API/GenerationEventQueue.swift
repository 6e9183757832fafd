import Serving
import Synchronization

/// Hands engine events (delivered on the engine thread, which must never
/// block) to a request's handler task.
///
/// Unlike `AsyncStream`, `next()` keeps waiting when the handler's task is
/// cancelled (the HTTP layer cancels it when the client disconnects): the
/// handler cancels the generation and still needs its final `.finished`
/// event to account for the tokens generated.
final class GenerationEventQueue: Sendable {
    private struct State {
        var buffer: [GenerationEvent] = []
        var head = 0
        var waiter: CheckedContinuation<GenerationEvent?, Never>?
        var finished = false
        /// The `.finished` payload, kept for `final()` even once taken by `next()`.
        var result: GenerationResult?
    }

    private let state = Mutex(State())

    /// Called on the engine thread; never blocks.
    func push(_ event: GenerationEvent) {
        let waiter = state.withLock { s -> CheckedContinuation<GenerationEvent?, Never>? in
            if case .finished(let r) = event {
                s.finished = true
                s.result = r
            }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.buffer.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, or nil after `.finished` has been taken.
    func next() async -> GenerationEvent? {
        await withCheckedContinuation { (c: CheckedContinuation<GenerationEvent?, Never>) in
            let ready = state.withLock { s -> GenerationEvent?? in
                if s.head < s.buffer.count {
                    let e = s.buffer[s.head]
                    s.head += 1
                    if s.head > 64 && s.head * 2 > s.buffer.count {
                        s.buffer.removeFirst(s.head)
                        s.head = 0
                    }
                    return .some(e)
                }
                if s.finished { return .some(nil) }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Waits for the end of the generation and returns its result, whether or
    /// not `next()` already delivered it.
    func final() async -> GenerationResult? {
        while await next() != nil {}
        return state.withLock { $0.result }
    }
}
