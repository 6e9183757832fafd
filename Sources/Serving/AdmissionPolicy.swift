/// Which queued requests join the running batch: FIFO under three limits —
/// batch slots (`max_batch`), KV bytes (`kv_cache_mb`) and distinct adapters
/// in the batch (`max_loras`, vLLM's `--max-loras`).
///
/// Strict FIFO never starves anyone but, under `max_loras`, blocks the whole
/// queue behind one request whose adapter does not fit (head-of-line
/// blocking: requests for adapters already running wait with free slots).
/// Letting them overtake freely (vLLM's scheduler skips such a head) can
/// starve it: while its overtakers keep every running adapter busy, no slot
/// ever frees. The rule here keeps both properties:
///
/// - Slots and KV are strict FIFO: if the head does not fit them, nobody is
///   admitted (running sequences finish in bounded time, so the head gets in).
/// - If the head fits slots and KV but not `max_loras`, it reserves the
///   running adapters it needs to see drain: the ones not its own with the
///   fewest running sequences, as many as it lacks slots for. The reservation
///   holds until the head is admitted.
/// - While the head waits, a later request may overtake it only if every
///   adapter it names is already running and none is reserved to drain. So
///   no new adapter enters the batch and the reserved ones only lose
///   sequences; once they are gone the head fits `max_loras`, and at the
///   latest when the overtakers finish it fits slots and KV too.
///
/// Every request becomes the head in turn, so none waits forever; and a
/// request for a running adapter behind a blocked head still runs at once.
struct AdmissionPolicy {
    let maxBatch: Int
    let kvBudgetBytes: Int
    let maxLoras: Int
    /// The head that waits for adapters to drain, and which ones.
    private(set) var reservation: (id: UInt64, draining: Set<String>)?

    init(maxBatch: Int, kvBudgetBytes: Int, maxLoras: Int) {
        self.maxBatch = maxBatch
        self.kvBudgetBytes = kvBudgetBytes
        self.maxLoras = maxLoras
    }

    /// The indices of `waiting` (in queue order) to admit now; `batch` is
    /// updated as if they were.
    mutating func select<C: AdmissionCandidate>(_ waiting: [C], into batch: inout BatchOccupancy) -> [Int] {
        var admitted: [Int] = []
        var headBlocked = false
        for (i, candidate) in waiting.enumerated() {
            guard batch.sequences < maxBatch, batch.reservedBytes + candidate.reservedBytes <= kvBudgetBytes else { break }
            let fresh = candidate.adapterSlots.filter { batch.adapterSequences[$0] == nil }
            if !headBlocked {
                // Everyone before it was admitted: this is the head.
                if batch.adapterCount + fresh.count <= maxLoras {
                    batch.add(adapters: candidate.adapterSlots, reservedBytes: candidate.reservedBytes)
                    admitted.append(i)
                } else {
                    headBlocked = true
                    if reservation?.id != candidate.admissionID {
                        reservation = (candidate.admissionID, drainSet(for: candidate, fresh: fresh.count, batch: batch))
                    }
                }
                continue
            }
            guard fresh.isEmpty, candidate.adapterSlots.isDisjoint(with: reservation?.draining ?? []) else { continue }
            batch.add(adapters: candidate.adapterSlots, reservedBytes: candidate.reservedBytes)
            admitted.append(i)
        }
        if !headBlocked { reservation = nil }
        return admitted
    }

    /// The running adapters `head` waits to see leave: not its own, fewest
    /// running sequences first (the quickest to drain), ties by name.
    private func drainSet<C: AdmissionCandidate>(for head: C, fresh: Int, batch: BatchOccupancy) -> Set<String> {
        let lacking = batch.adapterCount + fresh - maxLoras
        let others = batch.adapterSequences.filter { !head.adapterSlots.contains($0.key) }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        return Set(others.prefix(lacking).map(\.key))
    }
}
