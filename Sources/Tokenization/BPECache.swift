import Foundation

/// Word → ids cache shared by every caller of one tokenizer.
///
/// `@unchecked Sendable`: the dictionary is only touched under `lock`.
final class BPECache: @unchecked Sendable {
    private var entries: [ExactString: [Int]] = [:]
    private let lock = NSLock()
    /// Like tokenizers' BPE cache (capacity 10 000), stop inserting when full
    /// instead of evicting: prompts repeat a small working set of words.
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func get(_ key: ExactString) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func set(_ key: ExactString, _ value: [Int]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[key] = value }
    }
}
