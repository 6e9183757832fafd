/// What the running batch holds, as admission sees it: sequences, the KV
/// bytes they reserved, and how many running sequences use each adapter.
struct BatchOccupancy: Equatable {
    var sequences = 0
    var reservedBytes = 0
    /// Running sequences per adapter slot (`AdmissionCandidate.adapterSlots`);
    /// a slot is present while at least one running sequence uses it (its
    /// count is then ≥ 1).
    var adapterSequences: [String: Int] = [:]

    /// The distinct adapters in the batch (what `max_loras` bounds).
    var adapterCount: Int { adapterSequences.count }

    mutating func add(adapters: Set<String>, reservedBytes bytes: Int) {
        sequences += 1
        reservedBytes += bytes
        for name in adapters { adapterSequences[name, default: 0] += 1 }
    }
}
