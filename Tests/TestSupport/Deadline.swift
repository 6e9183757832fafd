import Foundation

/// A bound on blocking code under test: a read that blocks (on a FIFO)
/// fails the test instead of hanging the run.
public enum Deadline {
    /// Runs `body` on a thread of its own and returns its result, or nil when
    /// it has not returned within `seconds`. A thread stuck on a FIFO can be
    /// released afterwards with `SpecialFile.release(fifo:)`.
    public static func finishing<T: Sendable>(within seconds: Double, _ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let box = Box<T>()
        Thread {
            box.set(body())
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.get()
    }

    /// What `body` threw, as its description: "returned" when it threw
    /// nothing, "still running after N s" when it hung (the FIFO `fifo`
    /// names is then opened and closed, so the stuck thread ends).
    public static func refusal(within seconds: Double = 10, releasing fifo: URL? = nil,
                               _ body: @escaping @Sendable () throws -> Void) -> String {
        let outcome = finishing(within: seconds) { () -> String in
            do {
                try body()
                return "returned"
            } catch {
                return String(describing: error)
            }
        }
        if outcome == nil, let fifo { SpecialFile.release(fifo: fifo) }
        return outcome ?? "still running after \(seconds) s"
    }

    /// The value handed back from the thread.
    private final class Box<T: Sendable>: @unchecked Sendable { // `lock` guards `value`
        private let lock = NSLock()
        private var value: T?

        func set(_ v: T) { lock.withLock { value = v } }
        func get() -> T? { lock.withLock { value } }
    }
}
