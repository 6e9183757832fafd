/// The process's compute threads: one setting for both pools that do the
/// math, OpenBLAS's (prefill GEMMs) and our kernels' `ComputePool.shared`
/// (batched decode), so the two never oversubscribe the cores.
public enum Compute {
    /// Sizes both pools to `n` threads (at least 1). Call once, before any
    /// compute, from configuration: two thread pools on two cores collapse
    /// throughput (2-thread OpenBLAS beside another busy thread fell to a
    /// fraction of its 1-thread speed), so the engine thread is the only
    /// caller of either and uses one of them at a time.
    public static func setThreads(_ n: Int) {
        let threads = max(1, n)
        BLAS.setThreadCount(threads)
        ComputePool.resize(threads: threads)
    }
}
