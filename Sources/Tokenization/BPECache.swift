import Synchronization

/// Word → ids cache shared by every caller of one tokenizer.
final class BPECache: Sendable {
    private let entries = Mutex<[ExactString: [Int]]>([:])
    /// Like tokenizers' BPE cache (capacity 10 000), stop inserting when full
    /// instead of evicting: prompts repeat a small working set of words.
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func get(_ key: ExactString) -> [Int]? {
        entries.withLock { $0[key] }
    }

    func set(_ key: ExactString, _ value: [Int]) {
        entries.withLock { entries in
            if entries.count < capacity { entries[key] = value }
        }
    }
}
