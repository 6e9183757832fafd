import Glibc

/// An open file descriptor, and every libc call lorad makes to read a file:
/// each wrapped exactly once here, `errno` captured into `FileSystemError`
/// (HTTP1's `Socket` does the same for sockets). Only `RegularFile` uses it.
struct FileDescriptor {
    let fd: Int32

    /// open(2) of `path` with `flags`; EINTR is retried.
    static func open(_ path: String, flags: Int32) throws(FileSystemError) -> FileDescriptor {
        while true {
            let fd = Glibc.open(path, flags)
            if fd >= 0 { return FileDescriptor(fd: fd) }
            let e = errno
            guard e == EINTR else { throw FileSystemError(call: "open", errno: e) }
        }
    }

    /// stat(2) of `path`, symlinks followed; for openers that take a path
    /// and no descriptor (SQLite).
    static func status(path: String) throws(FileSystemError) -> stat {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileSystemError(call: "stat", errno: errno) }
        return info
    }

    /// fstat(2): what the descriptor itself is, whatever the path now names.
    func status() throws(FileSystemError) -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystemError(call: "fstat", errno: errno) }
        return info
    }

    /// read(2) into `buffer`; 0 at end of file. EINTR is retried.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let e = errno
            guard e == EINTR else { throw FileSystemError(call: "read", errno: e) }
        }
    }

    func close() {
        _ = Glibc.close(fd)
    }
}
