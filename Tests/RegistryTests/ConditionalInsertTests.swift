import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Registry

/// `insert(_:weights:replace:stillWanted:)`: a write made in the background
/// on a request's behalf, which a delete or an upload can call off.
@Suite struct ConditionalInsertTests {
    /// Called off, it writes nothing: no row, no generation used (the next
    /// insert gets the generation a fresh registry's first insert gets), and
    /// a replace leaves the stored version as it was.
    @Test func anInsertNoLongerWantedWritesNothing() throws {
        let python = try RegistryTestSupport.fixture("python-qv-r8")
        let upper = try RegistryTestSupport.fixture("upper-all-r4")
        let (registry, _) = try RegistryTestSupport.freshRegistry("conditional")
        let (peer, _) = try RegistryTestSupport.freshRegistry("conditional-peer")

        let skipped = try registry.insert(python.newAdapter(named: "a"), weights: .data(python.weights), stillWanted: { false })
        #expect(skipped == nil)
        #expect(try registry.record(named: "a") == nil)
        #expect(try registry.count() == 0)

        let stored = try registry.insert(python.newAdapter(named: "a"), weights: python.weights)
        let first = try peer.insert(python.newAdapter(named: "a"), weights: python.weights)
        #expect(stored.generation == first.generation)

        let replaced = try registry.insert(upper.newAdapter(named: "a"), weights: .data(upper.weights), replace: true,
                                           stillWanted: { false })
        #expect(replaced == nil)
        #expect(try registry.load(named: "a").weights == python.weights)

        let wanted = try #require(try registry.insert(upper.newAdapter(named: "b"), weights: .data(upper.weights),
                                                      stillWanted: { true }))
        #expect(try registry.load(named: "b").weights == upper.weights)
        #expect(try registry.load(named: "b").sha256 == wanted.sha256)
    }

    /// `stillWanted` is asked under the writer lock: a delete of the same
    /// name started from inside it can only run after the insert commits, so
    /// it finds the row (were it asked before the lock, the delete could
    /// come first, find nothing, and the row would land after it).
    @Test func stillWantedIsAskedUnderTheWriterLock() throws {
        let python = try RegistryTestSupport.fixture("python-qv-r8")
        let (registry, _) = try RegistryTestSupport.freshRegistry("conditional-lock")
        let started = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let deleted = Mutex<Bool?>(nil)
        let record = try registry.insert(python.newAdapter(named: "a"), weights: .data(python.weights), stillWanted: {
            Thread.detachNewThread {
                started.signal()
                let result = (try? registry.delete(named: "a")) ?? false
                deleted.withLock { $0 = result }
                finished.signal()
            }
            started.wait()
            return true
        })
        #expect(record != nil)
        finished.wait()
        #expect(deleted.withLock { $0 } == true)
        #expect(try registry.record(named: "a") == nil)
    }
}
