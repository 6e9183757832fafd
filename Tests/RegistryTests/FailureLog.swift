import Foundation

/// Collects failure messages from concurrent closures.
final class FailureLog: @unchecked Sendable {
    // @unchecked Sendable: `items` is only touched under `lock`.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ message: String) { lock.lock(); items.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
