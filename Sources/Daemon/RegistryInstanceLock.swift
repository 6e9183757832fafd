import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One daemon per registry: an exclusive `flock(2)` on `REGISTRY.lock`,
/// held while the daemon runs (released by the kernel however it ends).
/// Two daemons on one registry each keep their own adapter cache and never
/// hear of the other's replaces and deletes, so each would go on serving
/// adapters the other changed. Readers (`lorad adapters list`, a backup)
/// take no such lock. A separate file, because on network filesystems
/// flock is emulated with the fcntl locks SQLite itself takes.
final class RegistryInstanceLock: Sendable {
    private let descriptor: Int32
    let path: String

    /// Nil when the lock file cannot be created (a missing or unwritable
    /// folder): opening the registry there fails next, naming the registry.
    /// - Throws: `RegistryInstanceLockError` naming the lock file and, when
    ///   another daemon holds it, that daemon's pid as it wrote it there.
    init?(registryPath: String) throws {
        path = registryPath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            var holder = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &holder, holder.count, 0)
            close(fd)
            let pid = n > 0 ? String(decoding: holder.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            throw RegistryInstanceLockError(path: path, reason: e == EWOULDBLOCK
                ? "another lorad serves this registry\(pid.isEmpty ? "" : " (pid \(pid))"); one daemon per registry file"
                : "cannot lock it: " + String(cString: strerror(e)))
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

/// Why `RegistryInstanceLock` could not be taken.
struct RegistryInstanceLockError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}
