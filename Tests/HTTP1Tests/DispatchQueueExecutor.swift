import Dispatch

/// Runs tasks on a Dispatch queue, so a test can keep a task (server
/// shutdown) off the cooperative pool its blocking socket reads occupy.
final class DispatchQueueExecutor: TaskExecutor {
    let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { unowned.runSynchronously(on: executor) }
    }
}
