import FileReading
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only, private memory mapping of a whole file.
///
/// Weights are read through the page cache instead of being copied into the
/// heap first; the mapping lives as long as this object. The file is opened
/// as every file lorad reads is (`RegularFile`: a FIFO, a device or a
/// directory is refused before it is mapped, and opening a FIFO cannot
/// block). A copy of the descriptor stays open so `currentSize` can ask
/// the mapped file itself (not whatever the path names now) how long it is:
/// reading a page past a file truncated in place is SIGBUS.
final class MappedFile: @unchecked Sendable { // immutable read-only mapping; never written after init
    let path: String
    let base: UnsafeRawPointer?
    let size: Int
    /// The file as it was mapped.
    let identity: FileIdentity
    /// A descriptor of the mapped file, for fstat(2); -1 if dup(2) failed.
    private let descriptor: Int32

    init(path: String) throws(SafeTensorsError) {
        self.path = path
        let file: RegularFile
        do { file = try RegularFile(opening: path) } catch {
            throw .unreadable(error)
        }
        size = file.size
        identity = file.identity
        descriptor = fcntl(file.descriptor, F_DUPFD_CLOEXEC, 3)
        if size == 0 {
            base = nil   // mmap of length 0 fails; an empty file is reported as truncated by the header parser
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, file.descriptor, 0)
        guard let p, p != MAP_FAILED else {
            throw .cannotOpen(file: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(p)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// The mapped file's length now (nil if it cannot be asked).
    var currentSize: Int? {
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0 else { return nil }
        return Int(status.st_size)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        if descriptor >= 0 { close(descriptor) }
    }
}
