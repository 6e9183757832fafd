/// What `ProcessLimits` are compared with: the threads and address space
/// this configuration may need beyond what start-up already took.
extension Configuration {
    /// Threads lorad may start beyond those running at start-up: the
    /// compute pool and OpenBLAS's (`threads` each), and libdispatch's
    /// workers for HTTP handlers, blocking work and timers, which grow
    /// with concurrent requests (11 threads on 2 cores after 4 concurrent
    /// completions; the margin covers bursts).
    public var threadsNeeded: Int { 2 * threads + 32 }

    /// Address space lorad may still map beyond what it maps once loaded:
    /// the KV cache, adapter cache and upload budgets, OpenBLAS's buffers
    /// (128 MiB a thread, and one for the caller, in OpenBLAS 0.3.21 on
    /// x86-64) and 256 MiB for the allocator's per-thread arenas (reserved,
    /// not touched). Measured: a 5 MB model maps 626 MB idle, 1.04 GB after
    /// its first completion, on 2 threads.
    public var addressSpaceNeeded: Int {
        (kvCacheMB + adapterCacheMB + uploadBufferMB) << 20 + (threads + 1) * (128 << 20) + (256 << 20)
    }

    /// Why `ulimit -u` may stall requests, or nil when it leaves room.
    public func threadLimitProblem(_ limits: ProcessLimits) -> String? {
        guard let limit = limits.tasks, limit - limits.tasksRunning < threadsNeeded else { return nil }
        return "the process limit (ulimit -u, RLIMIT_NPROC) is \(limit) and this user already runs \(limits.tasksRunning) "
            + "processes and threads: lorad may need \(threadsNeeded) more (threads = \(threads)), and requests hang when "
            + "a thread cannot be created; raise it (LimitNPROC= in the unit) or run lorad as a user of its own"
    }

    /// Why `ulimit -v` may stall requests, or nil when it leaves room.
    public func addressSpaceProblem(_ limits: ProcessLimits) -> String? {
        guard let limit = limits.addressSpace, limit - limits.mapped < addressSpaceNeeded else { return nil }
        return "the address-space limit (ulimit -v, RLIMIT_AS) is \(limit >> 20) MiB and lorad maps \(limits.mapped >> 20) MiB "
            + "now: the KV cache, adapter cache and upload budgets (\(kvCacheMB + adapterCacheMB + uploadBufferMB) MiB), "
            + "OpenBLAS's buffers and the allocator's arenas may need \(addressSpaceNeeded >> 20) MiB more, and a request "
            + "whose multiply cannot map its buffer spins instead of failing; raise or remove the limit (memory is better "
            + "capped with MemoryMax=, which counts what is used, not what is reserved)"
    }
}
