import Foundation
import Testing
import TestSupport
@testable import Serving

/// `max_loras` in the real engine: which requests run, which wait, what the
/// engine reports for vLLM's `lora_requests_info`, and that waiting changes
/// no output.
@Suite(.serialized) struct EngineMaxLorasTests {
    /// Blocks the engine thread (between steps, or inside a token event)
    /// until the test lets it go, so the test sees one admission decision.
    final class Gate: Sendable {
        private let entered = DispatchSemaphore(value: 0)
        private let release = DispatchSemaphore(value: 0)
        func hold() {
            entered.signal()
            release.wait()
        }
        func waitUntilHeld() { entered.wait() }
        func open() { release.signal() }
    }

    /// The engine's counters once its loop has retired the last sequence: a
    /// request's finished event reaches its caller before the loop publishes
    /// the batch without it, so wait for that (10 s deadline, then as is).
    /// The fixture engine with `max_loras` (and `max_batch`, else the default) set.
    static func engine(maxLoras: Int, maxBatch: Int? = nil) throws -> Engine {
        var config = EngineConfiguration()
        config.maxLoras = maxLoras
        if let maxBatch { config.maxBatch = maxBatch }
        return try EngineHarness.engine(config)
    }

    static func idleStats(_ engine: Engine) -> EngineStats {
        let deadline = Date().addingTimeInterval(10)
        var stats = engine.stats
        while stats.running > 0 || stats.queued > 0 || !stats.runningAdapters.isEmpty, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
            stats = engine.stats
        }
        return stats
    }

    static func request(_ adapter: String?, maxTokens: Int) throws -> GenerationRequest {
        let prompt = try EngineHarness.references.get().prompts[0].input_ids
        return GenerationRequest(promptTokens: prompt, adapters: try adapter.map { try AdapterSpec(parsing: $0) } ?? .base,
                                 maxTokens: maxTokens)
    }

    /// Queue a, b, a, c, a, b with max_loras 2: a, b, a run; c waits for one
    /// of them to drain and reserves b (one sequence, against a's two), so the
    /// fifth request (a) goes ahead of it and the sixth (b) does not.
    @Test func aRequestOverMaxLorasWaitsWhileRequestsForRunningAdaptersGoAhead() throws {
        let engine = try Self.engine(maxLoras: 2, maxBatch: 6)
        defer { engine.shutdown() }
        let (a, b, c) = ("python-qv-r8", "upper-all-r4", "rslora-qkvo-r16")
        let order = [a, b, a, c, a, b]
        let alone = try order.map { try engine.run(try Self.request($0, maxTokens: 12)).tokenIDs }
        let before = engine.stats.adaptersChangedAt

        // Hold the engine between two steps while all six are queued, so one
        // admission pass sees them together.
        let pause = Gate(), firstToken = Gate()
        DispatchQueue.global().async { _ = try? engine.betweenSteps { pause.hold() } }
        pause.waitUntilHeld()
        var collectors: [Collector] = []
        for (i, name) in order.enumerated() {
            let c = i == 0 ? Collector(onToken: { n in if n == 1 { firstToken.hold() } }) : Collector()
            collectors.append(c)
            _ = try engine.submit(try Self.request(name, maxTokens: 12), onEvent: c.handler)
        }
        pause.open()
        firstToken.waitUntilHeld()
        let during = engine.stats
        firstToken.open()

        #expect(during.running == 4)
        #expect(during.queued == 2)
        #expect(during.runningAdapters == [a, b].sorted())
        #expect(during.waitingAdapters == [b, c].sorted())
        #expect(during.adaptersChangedAt > before)
        #expect(abs(during.adaptersChangedAt - Date().timeIntervalSince1970) < 60)
        for (i, collector) in collectors.enumerated() {
            #expect(collector.wait().tokenIDs == alone[i], "request \(i) on \(order[i])")
        }
        let after = Self.idleStats(engine)
        #expect(after.runningAdapters.isEmpty && after.waitingAdapters.isEmpty)
        #expect(after.adaptersChangedAt >= during.adaptersChangedAt)
    }

    /// A queued request combining two adapters lists both as waiting, and
    /// neither once it is admitted (each name is counted down, not only the first).
    @Test func aQueuedRequestCombiningTwoAdaptersLeavesTheWaitingListWhenAdmitted() throws {
        let engine = try EngineHarness.engine(EngineConfiguration())
        defer { engine.shutdown() }
        let (a, b) = ("python-qv-r8", "upper-all-r4")
        let pause = Gate()
        DispatchQueue.global().async { _ = try? engine.betweenSteps { pause.hold() } }
        pause.waitUntilHeld()
        let collector = Collector()
        _ = try engine.submit(try Self.request("\(a):0.5,\(b):0.5", maxTokens: 2), onEvent: collector.handler)
        let queued = engine.stats
        pause.open()
        #expect(collector.wait().completionTokens == 2)
        #expect(queued.waitingAdapters == [a, b].sorted())
        let after = Self.idleStats(engine)
        #expect(after.waitingAdapters.isEmpty)
        #expect(after.runningAdapters.isEmpty)
    }

    @Test func aRequestCombiningMoreAdaptersThanMaxLorasIsRefused() throws {
        let engine = try Self.engine(maxLoras: 1)
        defer { engine.shutdown() }
        #expect(throws: EngineError.tooManyAdapters(count: 2, maxLoras: 1)) {
            _ = try engine.submit(try Self.request("python-qv-r8:0.5,upper-all-r4:0.5", maxTokens: 2), onEvent: { _ in })
        }
        #expect(try engine.run(try Self.request("python-qv-r8", maxTokens: 2)).completionTokens == 2)
    }

    /// `max_loras` counts adapters in memory, not names: after a replace,
    /// the new copy of a name waits for the old one still running, as a
    /// second adapter would (they ran side by side past the limit).
    @Test func aReplacedAdaptersNewCopyWaitsForTheOldOneUnderMaxLoras() throws {
        let engine = try Self.engine(maxLoras: 1, maxBatch: 4)
        defer { engine.shutdown() }
        let a = "python-qv-r8"
        let alone = try engine.run(try Self.request(a, maxTokens: 12)).tokenIDs
        let first = Gate(), second = Gate()
        let old = Collector(onToken: { n in
            if n == 1 { first.hold() }
            if n == 2 { second.hold() }
        })
        _ = try engine.submit(try Self.request(a, maxTokens: 12), onEvent: old.handler)
        first.waitUntilHeld()
        engine.adapters.invalidate(a)   // a replace: the next lease loads another copy
        let new = Collector()
        _ = try engine.submit(try Self.request(a, maxTokens: 12), onEvent: new.handler)
        first.open()
        // One admission later (the old copy's second token), the new copy still waits.
        second.waitUntilHeld()
        let during = engine.stats
        second.open()
        #expect(during.running == 1 && during.queued == 1, "running \(during.running), queued \(during.queued)")
        #expect(during.runningAdapters == [a] && during.waitingAdapters == [a])
        #expect(old.wait().tokenIDs == alone)
        #expect(new.wait().tokenIDs == alone)
    }
}
