import Foundation
import Glibc

/// A thread-safe box tests use to observe handlers.
final class Probe<Value: Sendable>: @unchecked Sendable {  // `value` is guarded by `lock`
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&value); lock.unlock() }

    /// Polls until `condition` holds (or ~`seconds` pass); returns whether it held.
    func wait(seconds: Double = 10, until condition: (Value) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition(get()) { return true }
            usleep(5_000)
        }
        return condition(get())
    }
}

/// Resident set size of this process in KiB, from /proc/self/status.
func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// Raises the soft open-file limit to the hard limit (the 1,000-connection test
/// needs two descriptors per connection in this process).
func raiseOpenFileLimit() {
    var rl = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0 else { return }
    rl.rlim_cur = rl.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
}
