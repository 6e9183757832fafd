import Dispatch

/// Runs handler tasks on a concurrent Dispatch queue instead of Swift's
/// cooperative pool (one thread per core). Handlers may block — SQLite, a
/// merge, waiting on inference — and on the cooperative pool two such
/// handlers would stall every other task on a 2-core machine; Dispatch adds
/// threads when its workers block.
final class HandlerExecutor: TaskExecutor {
    let queue: DispatchQueue

    init(queue: DispatchQueue) { self.queue = queue }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { unowned.runSynchronously(on: executor) }
    }
}
