import Synchronization

/// A FIFO lock for async code: `run` waits (suspending, never blocking a
/// thread) until every earlier holder is done. Handlers run on the event
/// loops, which must not block, so a thread mutex cannot span their awaits.
///
/// The daemon holds one for changes of adapter state that must not
/// interleave: a live merge (`PUT`/`DELETE /merged`) and a delete or replace
/// of an adapter. Without it a merge could lease an adapter between a
/// delete's "is it merged?" check and its registry delete, leaving a deleted
/// version folded into the base.
final class AsyncSerialLock: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `body` with the lock held; later callers wait their turn.
    func run<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { s -> Bool in
                if s.held { s.waiters.append(continuation); return false }
                s.held = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands the lock to the next waiter (which then holds it), or frees it.
    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty { s.held = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
