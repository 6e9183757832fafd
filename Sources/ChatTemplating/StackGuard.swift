import CThreadStack
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread cache of the stack's low end (asking costs a read of
/// /proc/self/maps on the main thread; a thread's stack never moves).
private let stackLowKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

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
        // Stored as low + 1, so that "asked, unknown" (1) differs from "not asked yet" (nil).
        var low: UInt
        if let stored = pthread_getspecific(stackLowKey) {
            low = UInt(bitPattern: stored) - 1
        } else {
            low = UInt(lorad_thread_stack_low())
            pthread_setspecific(stackLowKey, UnsafeRawPointer(bitPattern: low + 1))
        }
        floor = low == 0 ? 0 : low + StackGuard.margin
    }

    /// Whether the stack still has room for another level of recursion.
    @inline(__always)
    func hasRoom() -> Bool {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) } > floor
    }

    /// Refuses another level of a walk over a parsed template (the filter
    /// name check, the name collector) when the stack is nearly used up:
    /// the parser bounds a tree's height (`maxTreeDepth`), not the room a
    /// thread with a small stack has to walk it.
    @inline(__always)
    func ensureRoom() throws(TemplateError) {
        guard hasRoom() else { throw TemplateError(.limit(.treeDepth), "template nests too deeply for this thread's stack") }
    }
}
