import Synchronization

/// At most `limit` of one kind of work at a time (`max_merge_downloads`):
/// `tryEnter` takes a slot or refuses at once, `leave` gives it back.
public final class ConcurrencyCap: Sendable {
    public let limit: Int
    private let count = Mutex(0)

    public init(limit: Int) { self.limit = limit }

    /// Slots taken now.
    public var current: Int { count.withLock { $0 } }

    /// Takes a slot; false when all `limit` are taken.
    public func tryEnter() -> Bool {
        count.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    public func leave() { count.withLock { $0 -= 1 } }
}
