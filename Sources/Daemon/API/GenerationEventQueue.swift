import Serving
import Synchronization

/// Hands engine events (delivered on the engine thread, which must never
/// block) to a request's handler task, for the request's `choices`
/// sequences (chat `n`) in the order they happened.
///
/// Unlike `AsyncStream`, `next()` keeps waiting when the handler's task is
/// cancelled (the HTTP layer cancels it when the client disconnects): the
/// handler cancels the generation and still needs every `.finished` event
/// to account for the tokens generated.
final class GenerationEventQueue: Sendable {
    /// One event of one choice.
    typealias Item = (choice: Int, event: GenerationEvent)

    private struct State {
        var buffer: [Item] = []
        var head = 0
        var waiter: CheckedContinuation<Item?, Never>?
        var finishedCount = 0
        /// The `.finished` payloads by choice, kept for `finals()` even once taken by `next()`.
        var results: [GenerationResult?]
    }

    private let state: Mutex<State>
    let choices: Int

    init(choices: Int = 1) {
        self.choices = choices
        state = Mutex(State(results: Array(repeating: nil, count: choices)))
    }

    /// Called on the engine thread; never blocks.
    func push(_ event: GenerationEvent, choice: Int = 0) {
        let item: Item = (choice, event)
        let waiter = state.withLock { s -> CheckedContinuation<Item?, Never>? in
            if case .finished(let r) = event {
                s.finishedCount += 1
                s.results[choice] = r
            }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.buffer.append(item)
            return nil
        }
        waiter?.resume(returning: item)
    }

    /// The next event, or nil once every choice's `.finished` has been taken.
    func next() async -> Item? {
        await withCheckedContinuation { (c: CheckedContinuation<Item?, Never>) in
            let ready = state.withLock { s -> Item?? in
                if s.head < s.buffer.count {
                    let e = s.buffer[s.head]
                    s.head += 1
                    if s.head > 64 && s.head * 2 > s.buffer.count {
                        s.buffer.removeFirst(s.head)
                        s.head = 0
                    }
                    return .some(e)
                }
                if s.finishedCount == choices { return .some(nil) }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Waits for the end of every choice and returns their results, whether
    /// or not `next()` already delivered them.
    func finals() async -> [GenerationResult?] {
        while await next() != nil {}
        return state.withLock { $0.results }
    }
}
