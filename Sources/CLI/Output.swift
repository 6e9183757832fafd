import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to stdout/stderr (streamed generation must appear token by token).
///
/// A write that fails — the stream closed, on a full disk, a pipe whose
/// reader left (SIGPIPE is ignored) — is dropped: `FileHandle.write(_:)`
/// turns such a failure into a crash, and a daemon must not die because
/// nobody reads its `listening on` line.
public enum FileHandleOutput {
    public static func stdout(_ s: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data(s.utf8))
    }
    public static func stderr(_ s: String) {
        try? FileHandle.standardError.write(contentsOf: Data(s.utf8))
    }

    /// Opens /dev/null on any of descriptors 0–2 that is closed, before
    /// anything else opens a file: otherwise the next open (a socket, the
    /// registry) would take that number, and whatever is written to
    /// "stderr" would land in it.
    public static func occupyStandardDescriptors() {
        for fd in Int32(0)...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", O_RDWR)
            // open returns the lowest free descriptor: this one, as the lower ones are open.
            if opened >= 0 && opened != fd { close(opened) }
        }
    }
}
