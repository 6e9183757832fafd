import Synchronization

/// A `RequestSeams` hook body that runs on its first call only, keeping
/// what it threw for the test to check (it runs on the daemon's thread,
/// outside the test's task).
final class OnceHook: Sendable {
    private let state = Mutex<(ran: Bool, error: String?)>((false, nil))
    private let body: @Sendable () throws -> Void

    init(_ body: @escaping @Sendable () throws -> Void) { self.body = body }

    func callAsFunction() {
        guard state.withLock({ s in defer { s.ran = true }; return !s.ran }) else { return }
        do { try body() } catch { state.withLock { $0.error = String(describing: error) } }
    }

    var ran: Bool { state.withLock { $0.ran } }
    /// What the body threw, if it did.
    var error: String? { state.withLock { $0.error } }
}
