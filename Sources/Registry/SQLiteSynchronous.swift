/// How hard SQLite pushes each commit to stable storage (PRAGMA synchronous).
public enum SQLiteSynchronous: String, Sendable {
    /// WAL + FULL: the WAL is fsync'd at every commit, so a transaction that
    /// COMMIT returned for survives power loss and OS crashes, not only
    /// process death. lorad's default: an acknowledged upload (201) must stay.
    case full = "FULL"
    /// WAL + NORMAL: fsync only at checkpoints. Still atomic and consistent
    /// after `kill -9` (the OS has the written WAL frames), but the last
    /// commits can roll back on power loss (https://sqlite.org/pragma.html#pragma_synchronous).
    case normal = "NORMAL"
}
