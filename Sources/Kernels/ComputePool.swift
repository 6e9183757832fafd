import Foundation
import Synchronization

/// The compute threads of the forward pass: the calling thread plus
/// `threadCount - 1` persistent workers that spin briefly between jobs.
///
/// Used for decode steps (1–32 rows); prefill steps run on OpenBLAS's own
/// threads instead, never both pools in one step
/// (`LlamaModel.pool(forRows:)`).
///
/// Why not `DispatchQueue.concurrentPerform`: it wakes a sleeping Dispatch
/// worker for every call, ~80 µs on this machine's VMs, and a decode step
/// makes ~150 parallel calls of 30–400 µs each (a 576×576 projection for 8
/// rows took 0.17 ms on 2 threads against 0.14 ms on one). Workers that stay
/// awake for a moment after each job pick the next one up in about a
/// microsecond — the same trade OpenBLAS's own thread server and
/// llama.cpp's threadpool make.
///
/// Waiting workers `sched_yield()` instead of pausing, so a runnable thread
/// (OpenBLAS's worker during a prefill sgemm, an HTTP event loop) gets the
/// core at once; after `spinSeconds` without work they sleep on a condition.
///
/// One job runs at a time. A second thread calling `run` while a job is in
/// flight (tests drive several models at once) does its parts inline rather
/// than wait, so callers never block each other and never deadlock.
///
/// `@unchecked Sendable`: the job slot is written only by the thread that
/// holds `busy`, before the release-ordered bump of `generation` that
/// publishes it, and read by workers only after they acquire that bump.
public final class ComputePool: @unchecked Sendable {
    /// Threads that run parts of a job, the caller included.
    public let threadCount: Int
    /// How long an idle worker keeps polling before it sleeps: long enough to
    /// bridge the single-threaded stretches of a decode step and the gap
    /// between steps, short enough that an idle daemon does not burn a core.
    public static let spinSeconds = 0.002

    private let generation = Atomic<Int>(0)
    private let nextPart = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let sleep = NSCondition()
    private var job: Job?

    /// A job: `body(part)` for every part in 0..<parts.
    private struct Job {
        let parts: Int
        let body: (Int) -> Void
    }

    /// A pool running jobs on `threads` threads (the caller and
    /// `threads - 1` workers started now).
    public init(threads: Int) {
        threadCount = max(1, threads)
        for index in 1..<threadCount {
            let worker = Thread { [self] in workerLoop() }
            worker.name = "lorad-compute-\(index)"
            worker.start()
        }
    }

    /// Stops the workers, after the job in flight (if any) finishes.
    public func stop() {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { sched_yield() }
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        wakeSleepers()
    }

    private func wakeSleepers() {
        sleep.lock()
        sleep.broadcast()
        sleep.unlock()
    }

    /// Runs `body(part)` for every part in 0..<parts across the pool and
    /// returns when all are done. Parts are handed out one at a time, so
    /// uneven parts balance; `body` must only write memory its part owns.
    /// `body` is escaping only because workers reach it through the job
    /// slot; it is released before `run` returns. (`withoutActuallyEscaping`
    /// would spare the allocation, but its escape check races with a worker
    /// dropping its copy of the job.)
    public func run(parts: Int, _ body: @escaping (Int) -> Void) {
        guard parts > 0 else { return }
        guard threadCount > 1, parts > 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        job = Job(parts: parts, body: body)
        nextPart.store(0, ordering: .relaxed)
        unfinished.store(threadCount - 1, ordering: .relaxed)
        // Publish the job, then wake sleepers. Both sides use sequentially
        // consistent operations on `generation` and `sleepers`, so either
        // the worker sees the new generation before it waits or we see it
        // counted as a sleeper and broadcast (no lost wake-up).
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 { wakeSleepers() }
        work(parts: parts, body: body)
        // The workers may still be inside their last part.
        var polls = 0
        while unfinished.load(ordering: .acquiring) > 0 {
            polls += 1
            if polls > 64 { sched_yield() }
        }
        job = nil
        busy.store(false, ordering: .releasing)
    }

    /// Takes parts until none are left.
    private func work(parts: Int, body: (Int) -> Void) {
        while true {
            let part = nextPart.add(1, ordering: .relaxed).oldValue
            if part >= parts { return }
            body(part)
        }
    }

    private func workerLoop() {
        // Generation 0 is the pool's state at construction, not whatever it is
        // when this thread gets going: a job published before the worker first
        // runs must still count it in, or `run` would wait for it forever.
        var seen = 0
        while true {
            seen = waitForJob(after: seen)
            if stopping.load(ordering: .acquiring) { return }
            if let job { work(parts: job.parts, body: job.body) }
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    /// Polls for a generation after `seen`, yielding the core each time, then
    /// sleeps once `spinSeconds` pass without one. Returns the new generation.
    private func waitForJob(after seen: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.spinSeconds * 1e9)
        var polls = 0
        while true {
            let now = generation.load(ordering: .acquiring)
            if now != seen { return now }
            polls += 1
            if polls & 63 == 0, DispatchTime.now().uptimeNanoseconds > deadline { break }
            sched_yield()
        }
        sleep.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var now = generation.load(ordering: .sequentiallyConsistent)
        while now == seen {
            sleep.wait()
            now = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        sleep.unlock()
        return now
    }
}
