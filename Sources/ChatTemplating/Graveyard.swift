#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frees what a render's objects held one after another instead of one
/// inside another. Swift frees a linked structure recursively: the last
/// reference to a namespace whose attribute holds a namespace whose
/// attribute holds … (a template can build such a chain in a loop, a
/// level per iteration) would free all of them in one call chain as deep
/// as the chain, and overflow the stack. `Namespace`, `PyIterator` and
/// `LoopState` hand what they hold to `bury` from their `deinit`; the
/// outermost `bury` on a thread releases the remains in a loop, so each
/// nested object's `deinit` only adds to the list. (A `deinit` must move
/// its fields out, not copy them: its object's fields are released after
/// the `deinit` body returns, and that release would free them recursively
/// again.)
///
/// What recursion is left is within one value (lists in lists), which
/// `Renderer.checkNesting` bounds wherever a value is kept. `Scope` needs
/// none: a scope's parents are the blocks and macro definitions around it
/// in the source, at most `maxParseDepth`, and a macro reaching an older
/// macro through a namespace is a reference cycle, which is never freed.
///
/// One per thread (objects die on the thread of the render that made them,
/// but nothing depends on it).
final class Graveyard {
    private var remains: [Any] = []
    private var draining = false

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<Graveyard>.fromOpaque(pointer).release() }
        }
        return key
    }()

    private static var current: Graveyard {
        if let pointer = pthread_getspecific(key) { return Unmanaged<Graveyard>.fromOpaque(pointer).takeUnretainedValue() }
        let graveyard = Graveyard()
        pthread_setspecific(key, Unmanaged.passRetained(graveyard).toOpaque())
        return graveyard
    }

    /// Moves `field` of a dying object out (leaving `empty` in its place)
    /// and releases it after every `deinit` running on this thread returns.
    static func bury<T>(_ field: inout T, leaving empty: T) {
        var held = empty
        swap(&held, &field)
        let graveyard = current
        graveyard.remains.append(consume held)
        guard !graveyard.draining else { return }
        graveyard.draining = true
        while let next = graveyard.remains.popLast() {
            // Released here, outside the array's mutation: a nested deinit appends to it.
            withExtendedLifetime(next) {}
        }
        graveyard.draining = false
    }
}
