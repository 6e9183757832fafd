import Dispatch

/// Runs a test's blocking body (processes waited for, sockets read, sleeps)
/// on a Dispatch queue of its own instead of Swift's cooperative pool, which
/// has one thread per core: a few long blocking tests there starve every
/// async test of the run (an in-process server's handler tasks stall until
/// their clients time out). The body stays in the test's task, so its
/// `#expect`s are attributed to the test as usual.
///
/// ```swift
/// @Test func manyReplicas() async throws {
///     try await OffCooperativePool.run { … blocking code … }
/// }
/// ```
public enum OffCooperativePool {
    public static func run<T>(_ body: () throws -> T) async throws -> T {
        let executor = DispatchQueueExecutor(queue: DispatchQueue(label: "lorad-test-blocking"))
        return try await withTaskExecutorPreference(executor) { try body() }
    }
}
