import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Daemon

/// The short lane (registry calls: what `/health` and `/v1/models` wait on)
/// never queues behind request-sized CPU work.
struct BlockingWorkTests {
    @Test func aRegistryCallRunsWhileComputeWorkFillsEveryThread() async throws {
        // Far more compute jobs than any pool has threads, each blocked
        // until the short call has answered. With one queue for both lanes
        // libdispatch grows its pool about a thread at a time, so the short
        // call waits behind them (16 blocked jobs held it ~7 s; 256 hold it
        // past the 30 s after which the test releases them and fails).
        let blocked = 256
        let release = DispatchSemaphore(value: 0)
        let started = StartCount()
        let jobs = (0..<blocked).map { _ in
            Task {
                try await BlockingWork.compute {
                    started.value.add(1, ordering: .relaxed)
                    release.wait()
                }
            }
        }
        // Let the compute lane take what it will before the short call.
        while started.value.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await BlockingWork.run { 42 }) == 42 }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // Unblock the compute jobs (and a short call stuck behind them).
            for _ in 0..<blocked { release.signal() }
            return first
        }
        #expect(answered, "a short call waited behind \(blocked) blocked compute jobs")
        for job in jobs { _ = try await job.value }
    }
}

/// How many blocked compute jobs have begun (shared with their closures).
private final class StartCount: Sendable {
    let value = Atomic<Int>(0)
}
