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
///
/// The lock goes by the file, not by how it was named: REGISTRY is
/// resolved through symlinks first (SQLite follows them too, so a symlink
/// and its target are one database), and a registry file with more than
/// one hard link is refused — each name would get its own lock and, in
/// SQLite, its own WAL, and either daemon's acknowledged rows could be lost.
final class RegistryInstanceLock: Sendable {
    private let descriptor: Int32
    let path: String

    /// Nil when the registry's folder does not exist: opening the registry
    /// there fails next, naming the registry.
    /// - Throws: `RegistryInstanceLockError` naming the lock file and, when
    ///   another daemon holds it, that daemon's pid as it wrote it there;
    ///   or naming the registry when it has other hard links.
    init?(registryPath: String) throws {
        let file = Self.resolved(registryPath)
        var info = stat()
        if stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink > 1 {
            throw RegistryInstanceLockError(path: file, reason: "the registry file has \(info.st_nlink) hard links; SQLite "
                + "keeps a separate WAL for each name and one daemon per file cannot be ensured: keep one name (a copy, "
                + "or a symlink, is fine)")
        }
        path = file + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            let folder = (file as NSString).deletingLastPathComponent
            if e == ENOENT, !FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder) { return nil }
            // Anything else would let a second daemon start unnoticed.
            throw RegistryInstanceLockError(path: path, reason: "cannot open the lock file: " + String(cString: strerror(e)))
        }
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

    /// `path` with every symlink resolved (`realpath(3)`); for a file that
    /// does not exist yet, the symlinks leading to it followed all the same
    /// (SQLite will create the file where they point), then its folder
    /// resolved and its name kept.
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        var current = path
        for _ in 0..<40 {   // SYMLOOP_MAX on Linux
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { break }
            current = target.hasPrefix("/") ? target : ((current as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent(target)
        }
        let ns = current as NSString
        let folder = ns.deletingLastPathComponent.isEmpty ? "." : ns.deletingLastPathComponent
        guard let real = realpath(folder, nil) else { return current }
        defer { free(real) }
        return String(cString: real) + "/" + ns.lastPathComponent
    }

    deinit { close(descriptor) }
}

/// Why `RegistryInstanceLock` could not be taken.
struct RegistryInstanceLockError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}
