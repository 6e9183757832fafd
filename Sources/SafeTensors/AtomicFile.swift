import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file that appears under its name complete or not at all: the content
/// is written to a file that has no name yet (Linux `O_TMPFILE`), flushed
/// to disk, and only then given its name, replacing an existing file of
/// that name in one `rename` (POSIX: atomic for the name). A process killed
/// at any point — SIGKILL, a crash, Ctrl-C — leaves either the old file or
/// the new one whole, and no partial file beside them: the kernel frees a
/// nameless file when its last descriptor closes.
///
/// Where the filesystem has no `O_TMPFILE` (or `/proc`, through which an
/// unprivileged process names it: `linkat` of `/proc/self/fd/N` with
/// `AT_SYMLINK_FOLLOW`, open(2)), the content goes to `NAME.partial`
/// first, removed when the write fails; only a kill during such a write
/// leaves it behind, and the next write replaces it.
public enum AtomicFile {
    /// Where the content waits for its name.
    public enum Staging: Sendable, Equatable {
        /// A nameless `O_TMPFILE` in the destination's folder.
        case unnamed
        /// `NAME.partial` beside the destination.
        case named
    }

    /// The staging this process uses: unnamed where `/proc/self/fd` can
    /// name the file afterwards; the filesystem itself is tried at each
    /// write (`write(to:staging:_:)` falls back when it refuses).
    static let preferredStaging: Staging = access("/proc/self/fd", X_OK) == 0 ? .unnamed : .named

    /// Writes `url` through `body`, which receives a handle open for
    /// writing at offset 0; the file takes its name only after `body`
    /// returns and the data reached the disk (`fsync`). When `body` throws,
    /// nothing is named and the error is rethrown; an existing file at
    /// `url` is untouched.
    /// - Parameter staging: `nil` for `preferredStaging` with the fallback;
    ///   a fixed choice (tests) uses that one or fails.
    /// - Throws: `SafeTensorsError.writeFailed` naming the file and the
    ///   system's reason, or what `body` throws.
    public static func write(to url: URL, staging: Staging? = nil, _ body: (FileHandle) throws -> Void) throws {
        let path = url.path, folder = url.deletingLastPathComponent().path, partial = path + ".partial"
        var chosen = staging ?? preferredStaging
        var fd: Int32 = -1
        if chosen == .unnamed {
            let opened = SystemCall(open(folder, openUnnamedFlags | O_WRONLY | O_CLOEXEC, 0o644))
            // EOPNOTSUPP / EISDIR / EINVAL: a filesystem or kernel without O_TMPFILE.
            if opened.failed, staging == nil, [EOPNOTSUPP, EISDIR, EINVAL].contains(opened.errorNumber) {
                chosen = .named
            } else {
                fd = try opened.check(path, "cannot create an unnamed file in \(folder)")
            }
        }
        if chosen == .named {
            fd = try SystemCall(open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644))
                .check(path, "cannot create \(partial)")
        }
        defer { close(fd) }
        do {
            try body(FileHandle(fileDescriptor: fd, closeOnDealloc: false))
            try SystemCall(fsync(fd)).check(path, "cannot flush it to disk")
            if chosen == .unnamed {
                // linkat cannot replace a name; a stale partial from an
                // interrupted named write would be in the way.
                unlink(partial)
                try SystemCall(linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, partial, AT_SYMLINK_FOLLOW))
                    .check(path, "cannot name the written file \(partial)")
            }
            try SystemCall(rename(partial, path)).check(path, "cannot rename \(partial) to it")
        } catch {
            unlink(partial)
            throw error
        }
        syncFolder(folder)
    }

    /// `O_TMPFILE`, which Glibc defines through a macro Swift does not
    /// import: `__O_TMPFILE | O_DIRECTORY`, `__O_TMPFILE` being 020000000 in
    /// the kernel's generic fcntl flags (x86-64 and arm64 alike).
    private static let openUnnamedFlags: Int32 = 0o20000000 | O_DIRECTORY

    /// Flushes the folder's entries, so the new name survives a power loss
    /// as the data does. Best effort: the file is already complete and named.
    private static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
