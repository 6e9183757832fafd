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
/// block); the descriptor is closed once mapped (Linux mmap(2): "the file
/// descriptor, fd, can be closed immediately without invalidating the mapping").
final class MappedFile: @unchecked Sendable { // immutable read-only mapping; never written after init
    let path: String
    let base: UnsafeRawPointer?
    let size: Int

    init(path: String) throws(SafeTensorsError) {
        self.path = path
        let file: RegularFile
        do { file = try RegularFile(opening: path) } catch {
            throw .unreadable(error)
        }
        size = file.size
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

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }
}
