import Synchronization

/// Places in a generating request's preparation where a test runs a change
/// of its own — a replace of the adapter the request names — so that the
/// change lands exactly there on every run, instead of somewhere in a loop
/// of races that finds the window a few times in a thousand.
///
/// Nothing is set outside those tests; `reach` then reads an empty slot.
/// A hook runs on the thread preparing the request (off the event loop) and
/// the request waits for it.
final class RequestSeams: Sendable {
    enum Point: Sendable {
        /// A request's adapters are leased (`Engine.prepare`) and its
        /// sequences not queued yet.
        case adaptersLeased
        /// A chat request read its adapter's own chat template from the
        /// registry and has not leased the adapter's weights yet.
        case chatTemplateRead
    }

    private let hooks = Mutex<[Point: @Sendable () -> Void]>([:])

    /// Sets (or with nil removes) what runs at `point`.
    func set(_ point: Point, _ hook: (@Sendable () -> Void)?) {
        hooks.withLock { $0[point] = hook }
    }

    /// Runs the hook set at `point`, if any (outside the lock: it may take long).
    func reach(_ point: Point) {
        hooks.withLock { $0[point] }?()
    }
}
