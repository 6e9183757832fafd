import Glibc

/// What a path names, from `st_mode`'s file type bits (POSIX <sys/stat.h>,
/// `S_IFMT`). Named in refusals: "is a FIFO (named pipe), not a regular file".
public enum FileType: Sendable, Equatable, CustomStringConvertible {
    case regular, directory, fifo, characterDevice, blockDevice, socket, symbolicLink
    case unknown(mode: UInt32)

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        case S_IFLNK: self = .symbolicLink
        default: self = .unknown(mode: UInt32(mode & S_IFMT))
        }
    }

    public var description: String {
        switch self {
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case .fifo: return "a FIFO (named pipe)"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .socket: return "a socket"
        case .symbolicLink: return "a symbolic link"
        case .unknown(let mode): return "a file of unknown type (mode \(String(mode, radix: 8)))"
        }
    }
}
