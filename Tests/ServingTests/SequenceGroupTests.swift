import Foundation
import Synchronization
import Testing
import LoRA
import TestSupport
@testable import Serving

/// The sequences of one request (`Engine.prepare` → `SequenceGroup`) share
/// one lease: all run the version leased, whatever replace lands before they
/// are queued; they are queued whole or not at all, and the lease ends with
/// the last of them, or with the group when it is refused.
@Suite(.serialized) struct SequenceGroupTests {
    static func engine(_ source: SwitchingSource, _ configuration: EngineConfiguration = EngineConfiguration()) throws -> Engine {
        let cache = AdapterCache(source: source, budgetBytes: 64 << 20, loader: try EngineHarness.loader())
        return Engine(model: try EngineHarness.model.get(), tokenizer: try EngineHarness.tokenizer.get(), adapters: cache,
                      configuration: configuration)
    }

    static func request(_ spec: String, maxTokens: Int = 16) throws -> GenerationRequest {
        GenerationRequest(promptTokens: try EngineHarness.references.get().prompts[0].input_ids,
                          adapters: spec.isEmpty ? .base : try AdapterSpec(parsing: spec), maxTokens: maxTokens, stopTokenIDs: [])
    }

    /// A replace between the group's lease and its queueing: each of the
    /// four sequences makes the old version's solo tokens; the next request
    /// runs the new version.
    @Test func everySequenceRunsTheVersionTheGroupLeased() throws {
        let source = SwitchingSource("python-qv-r8")
        let engine = try Self.engine(source)
        defer { engine.shutdown() }
        let request = try Self.request("a")
        let old = try engine.run(request).tokenIDs

        let group = try engine.prepare(Array(repeating: request, count: 4))
        #expect(group.lease.version(of: "a") == 1)
        source.replace(with: "upper-all-r4")
        engine.adapters.invalidate("a")
        let collectors = (0..<4).map { _ in Collector() }
        let handles = try engine.submit(group) { i, event in collectors[i].handler(event) }
        #expect(handles.count == 4)
        for (i, collector) in collectors.enumerated() {
            #expect(collector.wait().tokenIDs == old, "sequence \(i) runs the version leased")
        }
        let next = try engine.prepare([request])
        #expect(next.lease.version(of: "a") == 2)
        #expect(try engine.run(request).tokenIDs != old, "the new version answers differently")
    }

    /// The lease is one however many sequences hold it: it is still held
    /// while the longer sequence runs after the shorter one ended, and ends
    /// with the last.
    @Test func theSharedLeaseEndsWithTheLastSequence() throws {
        let engine = try Self.engine(SwitchingSource("python-qv-r8"))
        defer { engine.shutdown() }
        let group = try engine.prepare([try Self.request("a", maxTokens: 2), try Self.request("a", maxTokens: 24)])
        let leasesSeenLate = Mutex<[Int]>([])
        let short = Collector()
        let long = Collector(onToken: { n in
            if n == 12 { leasesSeenLate.withLock { $0.append(engine.adapters.leaseCount("a")) } }
        })
        _ = try engine.submit(group) { i, event in (i == 0 ? short : long).handler(event) }
        #expect(short.wait().completionTokens == 2)
        #expect(long.wait().completionTokens == 24)
        #expect(leasesSeenLate.withLock { $0 } == [1], "one lease, held by the long sequence after the short one ended")
        #expect(engine.adapters.leaseCount("a") == 1, "the test's group still holds it")
        _ = consume group
        #expect(EngineHarness.waitUntil { engine.adapters.stats.inUseBytes == 0 }, "the lease ends with its last holder")
    }

    /// With no room for all of a group's sequences, `prepare` refuses
    /// before leasing, and `submit` (the queue filled after the lease)
    /// queues none of them; dropping the group then ends its lease.
    @Test func aGroupIsQueuedWholeOrRefusedAndARefusalEndsItsLease() throws {
        var configuration = EngineConfiguration()
        configuration.maxBatch = 1
        configuration.maxQueue = 3
        let engine = try Self.engine(SwitchingSource("python-qv-r8"), configuration)
        defer { engine.shutdown() }
        let long = try Self.request("", maxTokens: 400)
        var handles = [try engine.submit(long) { _ in }]
        defer { for h in handles { h.cancel() } }
        #expect(EngineHarness.waitUntil { engine.stats.queued == 0 }, "the base request was never admitted")

        do {
            let group = try engine.prepare([try Self.request("a"), try Self.request("a")])
            #expect(engine.adapters.leaseCount("a") == 1)
            handles += [try engine.submit(long) { _ in }, try engine.submit(long) { _ in }]
            #expect(throws: EngineError.overloaded(queued: 3, retryAfterSeconds: 1)) { try engine.submit(group) { _, _ in } }
            #expect(engine.stats.queued == 2, "none of the group's sequences was queued")
            #expect(throws: EngineError.overloaded(queued: 3, retryAfterSeconds: 1)) {
                try engine.prepare([try Self.request("a"), try Self.request("a")])
            }
            #expect(engine.adapters.leaseCount("a") == 1, "a refused prepare takes no lease")
        }
        #expect(engine.adapters.leaseCount("a") == 0)
        #expect(engine.adapters.stats.inUseBytes == 0)
        #expect(engine.stats.rejectedOverloaded == 2)
    }

    @Test func aGroupNamesOneSpecAndTakesOnlyALeaseForIt() throws {
        let engine = try Self.engine(SwitchingSource("python-qv-r8"))
        defer { engine.shutdown() }
        #expect(throws: EngineError.self) { try engine.prepare([]) }
        #expect(throws: EngineError.self) { try engine.prepare([try Self.request("a"), try Self.request("a:0.5")]) }
        let lease = try engine.adapters.lease(try AdapterSpec(parsing: "a:0.5"))
        #expect(throws: EngineError.self) { try engine.prepare([try Self.request("a")], lease: lease) }
        let group = try engine.prepare([try Self.request("a:0.5")], lease: lease)
        #expect(group.lease === lease)
        #expect(engine.adapters.leaseCount("a") == 1, "the lease given is the one used")
    }
}
