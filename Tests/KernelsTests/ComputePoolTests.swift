import Foundation
import Synchronization
import Testing
@testable import Kernels

@Suite struct ComputePoolTests {
    /// Counts how often each part ran.
    final class Tally: Sendable {
        let counts: Mutex<[Int]>
        init(_ n: Int) { counts = Mutex(Array(repeating: 0, count: n)) }
        func hit(_ part: Int) { counts.withLock { $0[part] += 1 } }
        var values: [Int] { counts.withLock { $0 } }
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyPartRunsExactlyOnceInEveryJob(threads: Int) {
        let pool = ComputePool(threads: threads)
        defer { pool.stop() }
        for parts in [1, 2, 3, 7, 64] {
            for _ in 0..<200 {
                let tally = Tally(parts)
                pool.run(parts: parts) { tally.hit($0) }
                #expect(tally.values == Array(repeating: 1, count: parts), "\(parts) parts on \(threads) threads")
            }
        }
    }

    @Test func workersRunPartsOnOtherThreads() {
        let pool = ComputePool(threads: 2)
        defer { pool.stop() }
        let caller = pthread_self()
        let elsewhere = Atomic(0)
        // Parts that take a while, so the worker gets some even if it was asleep.
        for _ in 0..<20 where elsewhere.load(ordering: .relaxed) == 0 {
            pool.run(parts: 8) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
                usleep(500)
            }
        }
        #expect(elsewhere.load(ordering: .relaxed) > 0)
    }

    @Test func aWorkerThatFellAsleepWakesForTheNextJob() {
        let pool = ComputePool(threads: 3)
        defer { pool.stop() }
        for _ in 0..<3 {
            // Longer than the spin window: the workers are sleeping on the condition now.
            Thread.sleep(forTimeInterval: ComputePool.spinSeconds * 5)
            let tally = Tally(16)
            pool.run(parts: 16) { part in
                usleep(200)
                tally.hit(part)
            }
            #expect(tally.values == Array(repeating: 1, count: 16))
        }
    }

    @Test func concurrentCallersEachGetAllTheirPartsRun() {
        let pool = ComputePool(threads: 2)
        defer { pool.stop() }
        let failures = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 6) { caller in
            for round in 0..<300 {
                let parts = 1 + (caller + round) % 9
                let tally = Tally(parts)
                pool.run(parts: parts) { tally.hit($0) }
                if tally.values != Array(repeating: 1, count: parts) { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// `resize` is what `Compute.setThreads` calls (not called here: other
    /// suites run BLAS concurrently, and OpenBLAS's own resize is not safe
    /// under a running call). Callers holding the old pool still get every
    /// part run: a stopped pool runs jobs inline.
    @Test func resizingReplacesTheSharedPoolAndTheOldOneStillRunsJobs() {
        let before = ComputePool.shared
        defer { ComputePool.resize(threads: before.threadCount) }
        ComputePool.resize(threads: before.threadCount + 1)
        #expect(ComputePool.shared.threadCount == before.threadCount + 1)
        let tally = Tally(5)
        before.run(parts: 5) { tally.hit($0) }
        #expect(tally.values == Array(repeating: 1, count: 5))
    }
}
