import Synchronization

/// The submitter's side of a running request: cancel it (client disconnect).
/// Cancellation takes effect by the next engine step.
public final class GenerationHandle: Sendable {
    private let cancelled = Atomic<Bool>(false)
    public let id: UInt64

    init(id: UInt64) { self.id = id }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}
