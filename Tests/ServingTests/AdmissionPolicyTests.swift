import Testing
@testable import Serving

/// `AdmissionPolicy` on scripted queues: FIFO under slots and KV, max_loras
/// with overtaking only on running adapters, and no starvation.
@Suite struct AdmissionPolicyTests {
    struct Request: AdmissionCandidate {
        let admissionID: UInt64
        let adapterSlots: Set<String>
        var reservedBytes = 1
        init(_ id: UInt64, _ names: String..., bytes: Int = 1) {
            admissionID = id
            adapterSlots = Set(names)
            reservedBytes = bytes
        }
    }

    static func running(_ adapters: [[String]], bytes: Int = 1) -> BatchOccupancy {
        var batch = BatchOccupancy()
        for names in adapters { batch.add(adapters: Set(names), reservedBytes: bytes) }
        return batch
    }

    @Test func requestsForRunningAdaptersGoAheadOfAHeadThatMaxLorasHolds() {
        var policy = AdmissionPolicy(maxBatch: 8, kvBudgetBytes: 100, maxLoras: 2)
        var batch = Self.running([["a"], ["b"]])
        let queue = [Request(1, "c"), Request(2, "a"), Request(3), Request(4, "d"), Request(5, "b")]
        let chosen = policy.select(queue, into: &batch)
        // c waits for one adapter to drain; the one with fewer sequences (a and
        // b tie at one: by name, a) is reserved, so b's request and the base
        // request go ahead, a's does not, d (new) does not.
        #expect(policy.reservation?.id == 1)
        #expect(policy.reservation?.draining == ["a"])
        #expect(chosen == [2, 4])
        #expect(batch.adapterSequences == ["a": 1, "b": 2])
        #expect(batch.sequences == 4)
    }

    @Test func theReservationDrainsTheAdapterWithTheFewestRunningSequences() {
        var policy = AdmissionPolicy(maxBatch: 8, kvBudgetBytes: 100, maxLoras: 2)
        var batch = Self.running([["a"], ["a"], ["b"]])
        let chosen = policy.select([Request(1, "c"), Request(2, "a"), Request(3, "b")], into: &batch)
        #expect(policy.reservation?.draining == ["b"])
        #expect(chosen == [1])
    }

    @Test func aHeadThatNeedsTwoFreshAdaptersReservesTwoAndNeverItsOwn() {
        var policy = AdmissionPolicy(maxBatch: 8, kvBudgetBytes: 100, maxLoras: 3)
        var batch = Self.running([["a"], ["b"], ["b"], ["c"], ["c"], ["c"]])
        // The head combines b (running) with d and e: it lacks two slots and
        // must not wait for its own b to drain.
        _ = policy.select([Request(1, "b", "d", "e")], into: &batch)
        #expect(policy.reservation?.draining == ["a", "c"])
    }

    @Test func slotsAndKVAreStrictFIFO() {
        var policy = AdmissionPolicy(maxBatch: 2, kvBudgetBytes: 10, maxLoras: 4)
        var full = Self.running([["a"], ["b"]])
        #expect(policy.select([Request(1, "a"), Request(2)], into: &full).isEmpty)
        // The head does not fit the KV budget: a smaller request behind it waits too.
        var policy2 = AdmissionPolicy(maxBatch: 8, kvBudgetBytes: 10, maxLoras: 4)
        var kv = Self.running([["a"]], bytes: 6)
        #expect(policy2.select([Request(1, "a", bytes: 5), Request(2, "a", bytes: 1)], into: &kv).isEmpty)
        #expect(policy2.reservation == nil)
    }

    @Test func aHeadThatFitsIsAdmittedAndItsReservationEnds() {
        var policy = AdmissionPolicy(maxBatch: 8, kvBudgetBytes: 100, maxLoras: 1)
        var batch = Self.running([["a"]])
        #expect(policy.select([Request(1, "b")], into: &batch).isEmpty)
        #expect(policy.reservation?.id == 1)
        var drained = BatchOccupancy()
        #expect(policy.select([Request(1, "b"), Request(2, "b"), Request(3, "a")], into: &drained) == [0, 1])
        // a is not running any more and the new head (3, on a) does not fit max_loras 1:
        // it now holds the reservation, on b.
        #expect(policy.reservation?.id == 3)
        #expect(policy.reservation?.draining == ["b"])
    }

    /// A scheduler loop against an adversary: every step, new requests for
    /// both running adapters arrive, and each sequence runs `length` steps.
    /// With free overtaking (vLLM's skip) c would wait forever, since a and
    /// b never stop running; here it gets in once the adapter it reserved has
    /// drained, while b's requests keep going ahead of it.
    @Test(arguments: [1, 3, 7])
    func aHeadHeldByMaxLorasIsAdmittedWhileRequestsForRunningAdaptersKeepArriving(length: Int) throws {
        var policy = AdmissionPolicy(maxBatch: 6, kvBudgetBytes: 1000, maxLoras: 2)
        var queue: [Request] = [Request(1, "a"), Request(2, "b")]
        var nextID: UInt64 = 3
        var running: [(request: Request, left: Int)] = []
        let cArrives = 2, c: UInt64 = 1000
        var admittedAt: [UInt64: Int] = [:]
        var overtookC = 0
        for step in 0..<100 {
            if step == cArrives { queue.append(Request(c, "c")) }
            for name in ["a", "b"] {
                queue.append(Request(nextID, name))
                nextID += 1
            }
            var batch = BatchOccupancy()
            for r in running { batch.add(adapters: r.request.adapterSlots, reservedBytes: r.request.reservedBytes) }
            let chosen = policy.select(queue, into: &batch)
            #expect(batch.adapterCount <= 2)
            let cIndex = queue.firstIndex { $0.admissionID == c }
            for i in chosen {
                running.append((queue[i], length))
                admittedAt[queue[i].admissionID] = step
                if let cIndex, i > cIndex, !chosen.contains(cIndex) { overtookC += 1 }
            }
            let taken = Set(chosen)
            queue = queue.enumerated().filter { !taken.contains($0.offset) }.map(\.element)
            running = running.map { ($0.request, $0.left - 1) }.filter { $0.left > 0 }
            if admittedAt[c] != nil { break }
        }
        let admitted = try #require(admittedAt[c], "c was never admitted")
        // The batch was full when c arrived: it waits for slots (≤ length
        // steps), then for the reserved adapter's sequences (≤ length more).
        #expect(admitted - cArrives <= 2 * length + 1, "c waited \(admitted - cArrives) steps")
        // And the head-of-line blocking is gone: b's requests ran meanwhile.
        if length > 1 { #expect(overtookC > 0) }
    }
}
