import Foundation
import Glibc

/// Files that are not regular files, for tests that point lorad at them
/// where it expects one: a FIFO (whose open for reading blocks until a
/// writer comes), a bound UNIX socket, a device.
public enum SpecialFile {
    /// mkfifo(3) at `url` (replacing whatever is there).
    public static func fifo(at url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        guard mkfifo(url.path, 0o644) == 0 else { throw SpecialFileError(call: "mkfifo", path: url.path, errno: errno) }
    }

    /// A UNIX stream socket bound at `url` (the path must fit sun_path's
    /// 108 bytes). The socket is closed at once; the file stays.
    public static func socket(at url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SpecialFileError(call: "socket", path: url.path, errno: errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(url.path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SpecialFileError(call: "bind (path too long)", path: url.path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw SpecialFileError(call: "bind", path: url.path, errno: errno) }
    }

    /// A symbolic link at `url` to `target` (e.g. /dev/zero).
    public static func link(at url: URL, to target: String) throws {
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    /// Opens the FIFO for writing and closes it, so a reader blocked in
    /// open(2) or read(2) on it gets end of file and its thread ends.
    public static func release(fifo url: URL) {
        let fd = open(url.path, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
    }
}
