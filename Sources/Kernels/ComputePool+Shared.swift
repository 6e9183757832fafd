import Synchronization

extension ComputePool {
    private static let current = Mutex<ComputePool?>(nil)

    /// A pool of one thread: every job runs inline on the caller. For steps
    /// that run on OpenBLAS's threads instead (see `LlamaModel.pool(forRows:)`).
    public static let serial = ComputePool(threads: 1)

    /// The process-wide pool the forward pass runs on. Sized by
    /// `Compute.setThreads` (one setting for OpenBLAS and for our kernels,
    /// so the two never oversubscribe the cores); until then, OpenBLAS's
    /// default thread count.
    public static var shared: ComputePool {
        current.withLock { pool in
            if let pool { return pool }
            let made = ComputePool(threads: BLAS.threadCount)
            pool = made
            return made
        }
    }

    /// Replaces the shared pool with one of `threads` threads (the old one's
    /// workers exit after any job in flight).
    static func resize(threads: Int) {
        let old = current.withLock { pool -> ComputePool? in
            if let pool, pool.threadCount == max(1, threads) { return nil }
            let previous = pool
            pool = ComputePool(threads: threads)
            return previous
        }
        old?.stop()
    }
}
