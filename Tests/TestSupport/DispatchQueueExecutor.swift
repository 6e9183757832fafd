import Dispatch

/// Runs tasks on a Dispatch queue, so a test can keep a task (a server's
/// shutdown, a blocking test body) off Swift's cooperative pool, whose one
/// thread per core blocking socket reads and waits would otherwise occupy.
public final class DispatchQueueExecutor: TaskExecutor {
    let queue: DispatchQueue

    public init(queue: DispatchQueue) { self.queue = queue }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { unowned.runSynchronously(on: executor) }
    }
}
