import Synchronization

/// Collects failure messages from concurrent closures.
final class FailureLog: Sendable {
    private let items = Mutex<[String]>([])
    func add(_ message: String) { items.withLock { $0.append(message) } }
    var messages: [String] { items.withLock { $0 } }
}
