import Glibc

/// A regular file open for reading: the one way lorad opens a file it is
/// pointed at (model folder, tokenizer, chat template, adapter files,
/// configuration and token files), so that nothing a path names can hang
/// the process or fill its memory, and every refusal names the file.
///
/// - `O_NONBLOCK`: opening a FIFO that no process writes returns at once
///   instead of waiting for a writer (POSIX open(2): with O_NONBLOCK "an
///   open() for reading-only shall return without delay"); for a regular
///   file the flag changes nothing (Linux open(2): "this flag has no effect
///   for regular files and block devices").
/// - `O_NOCTTY`: a terminal named by mistake does not become the process's
///   controlling terminal (open(2)).
/// - `O_CLOEXEC`: the descriptor never leaks into a child process.
/// - Then fstat(2) of the descriptor, not stat(2) of the path: what is
///   checked is what was opened, even if the path is swapped meanwhile.
///   Anything but a regular file (FIFO, device, directory, socket) is
///   refused before a byte is read, naming what it is.
///
/// Closed when the value goes away (it cannot be copied, so exactly once).
public struct RegularFile: ~Copyable {
    public let path: String
    /// `st_size` at open. 0 for files whose size the kernel does not know
    /// in advance (/proc); reading still stops at the limit.
    public let size: Int
    /// The file as it was opened (from the same fstat as `size`).
    public let identity: FileIdentity
    let file: FileDescriptor

    /// The open descriptor, e.g. for mmap(2); valid while this value lives.
    public var descriptor: Int32 { file.fd }

    static let openFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC

    /// Opens `path` and checks that the descriptor is a regular file.
    /// - Throws: `.missing`, `.cannotOpen` (strerror), `.notRegularFile`.
    public init(opening path: String) throws(FileReadError) {
        let file: FileDescriptor
        do { file = try FileDescriptor.open(path, flags: Self.openFlags) } catch {
            guard error.errno != ENOENT else { throw .missing(path: path) }
            // Some kinds fail at open already (a UNIX socket: ENXIO, open(2));
            // saying what the path is beats "No such device or address".
            if let info = try? FileDescriptor.status(path: path), FileType(mode: info.st_mode) != .regular {
                throw .notRegularFile(path: path, type: FileType(mode: info.st_mode))
            }
            throw .cannotOpen(path: path, reason: error.reason)
        }
        let info: stat
        do { info = try file.status() } catch {
            file.close()
            throw .cannotOpen(path: path, reason: "fstat: \(error.reason)")
        }
        let type = FileType(mode: info.st_mode)
        guard type == .regular else {
            file.close()
            throw .notRegularFile(path: path, type: type)
        }
        self.path = path
        self.size = Int(info.st_size)
        self.identity = FileIdentity(path: path, status: info)
        self.file = file
    }

    deinit { file.close() }
}
