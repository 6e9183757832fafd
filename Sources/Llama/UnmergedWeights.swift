import Foundation
import LoRA

/// The original W0 of every projection a live merge has changed, and the
/// lock that orders live-merge writes against adapter loads reading W0.
///
/// A live merge writes projections in place on the engine thread (between
/// steps), while adapter loads on request threads read W0 for DoRA factors
/// (`LlamaWeights.withWeight`). Both hold `lock` while they touch one
/// projection, so a load never sees a half-written matrix, and a load of a
/// projection that is currently merged reads its saved original instead —
/// a DoRA factor is always taken against the checkpoint's W0.
///
/// `@unchecked Sendable`: `originals` is only read or written with `lock` held.
/// (An NSLock, not a `Mutex`: the lock is held around a caller's closure
/// whose result need not be Sendable, which `Mutex.withLock` refuses.)
public final class UnmergedWeights: @unchecked Sendable {
    private let lock = NSLock()
    /// (out, in) each, the resident bytes (F32 or 16-bit): W0 of every
    /// projection changed since the last restore.
    private var originals: [LinearID: [UInt8]] = [:]

    public init() {}

    /// Runs `body` with the lock held and the saved originals.
    func withLock<R>(_ body: (inout [LinearID: [UInt8]]) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&originals)
    }

    /// Projections whose W0 currently differs from the checkpoint.
    public var modified: [LinearID] { withLock { $0.keys.sorted() } }
}
