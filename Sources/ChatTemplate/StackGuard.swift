import CThreadStack

/// Knows where the current thread's stack ends, so the recursive parser and
/// evaluator stop with an error before they overflow it, whatever thread
/// they run on (dispatch workers and Swift's cooperative threads have
/// smaller stacks than the main thread, and debug builds use far larger
/// frames than release builds).
struct StackGuard {
    /// Lowest address the stack may grow to before we refuse to go deeper.
    private let floor: UInt

    /// Room kept for the work between two checks, runtime calls and error handling.
    private static let margin: UInt = 128 * 1024

    init() {
        let low = UInt(lorad_thread_stack_low())
        floor = low == 0 ? 0 : low + StackGuard.margin
    }

    /// Whether the stack still has room for another level of recursion.
    @inline(__always)
    func hasRoom() -> Bool {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) } > floor
    }
}
