#if canImport(Glibc)
import Glibc
#endif

/// Which file a descriptor is and what it looked like: device and inode
/// (the same file even if renamed; another file even at the same path),
/// size and modification time (changed in place).
public struct FileIdentity: Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let modifiedNanoseconds: Int64

    init(path: String, status s: stat) {
        self.path = path
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
        size = Int64(s.st_size)
        modifiedNanoseconds = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
    }

    public var description: String { "\(path) (inode \(inode), \(size) bytes)" }
}
