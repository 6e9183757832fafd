import Dispatch

/// Runs blocking work off the connection's serial queue, so that queue keeps
/// noticing disconnects and timeouts while the work runs — in two lanes that
/// never wait for each other:
///
/// - `run`: short blocking calls — a registry read or write, a wait for the
///   engine's next step boundary. `/health`, `/v1/models` and `GET /adapters`
///   depend on it, so nothing a request's size controls goes here.
/// - `compute`: CPU work whose length the request controls — tokenizing a
///   prompt, rendering a chat template, loading and validating an adapter,
///   merging tensors.
///
/// Why two queues of different QoS: libdispatch feeds each QoS class's
/// root queue from its own pool of at most one thread per core (for
/// queues that do not overcommit, as concurrent queues do not). With one
/// queue, 30 concurrent 1 MB `/tokenize` requests (0.5 s of BPE each) held
/// `/health`'s registry count for 7.8 s on 2 cores; in separate classes
/// the count runs as soon as the scheduler gives its thread a slice.
enum BlockingWork {
    private static let shortQueue = DispatchQueue(label: "lorad.blocking-work", qos: .userInitiated,
                                                  attributes: .concurrent)
    private static let computeQueue = DispatchQueue(label: "lorad.compute-work", qos: .utility, attributes: .concurrent)

    /// A short blocking call (registry, step boundary).
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await hop(shortQueue, body)
    }

    /// CPU work sized by the request (tokenizing, rendering, validating, merging).
    static func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await hop(computeQueue, body)
    }

    private static func hop<T: Sendable>(_ queue: DispatchQueue,
                                         _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
