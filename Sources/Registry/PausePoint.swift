import Foundation

/// Named places in the registry's write paths where a crash test freezes the
/// process to `kill -9` it exactly there, on every run (rather than "a few
/// milliseconds into" an operation, which lands anywhere on a loaded machine).
///
/// Armed only by the environment variable `LORAD_TEST_PAUSE_AT=<rawValue>`,
/// read once per process. Unarmed (always, outside those tests) `reach()` is
/// a comparison against a cached nil. Armed and reached, the calling thread
/// writes `lorad: paused at <rawValue>` to stderr and sleeps until the
/// process is killed; the rest of the process runs on.
enum PausePoint: String {
    /// `delete(named:)`: the row is deleted inside the open transaction,
    /// which is not committed yet.
    case deleteBeforeCommit = "registry-delete-before-commit"
    /// `delete(named:)`: the transaction is committed; the caller has not
    /// been told.
    case deleteAfterCommit = "registry-delete-after-commit"

    /// `insert`: the row and its blob are written inside the open
    /// transaction, which is not committed yet (the writer lock is held).
    case insertBeforeCommit = "registry-insert-before-commit"

    static let environmentVariable = "LORAD_TEST_PAUSE_AT"

    private static let armed: PausePoint? =
        ProcessInfo.processInfo.environment[environmentVariable].flatMap(PausePoint.init(rawValue:))

    /// Freezes the calling thread here when this point is the armed one.
    @inline(__always)
    func reach() {
        if Self.armed == self { freeze() }
    }

    private func freeze() -> Never {
        let line = Array("lorad: paused at \(rawValue) (\(Self.environmentVariable))\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        while true { sleep(3600) }
    }
}
