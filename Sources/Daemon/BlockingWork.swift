import Dispatch

/// Runs blocking work (merging a tensor, waiting for the engine's next step
/// boundary, loading an adapter) off the connection's serial queue, so that
/// queue keeps noticing disconnects and timeouts while the work runs.
enum BlockingWork {
    private static let queue = DispatchQueue(label: "lorad.blocking-work", qos: .utility, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
