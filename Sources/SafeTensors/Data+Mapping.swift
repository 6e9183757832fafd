import Foundation

extension Data {
    /// The bytes of the file at `path`, memory-mapped read-only instead of
    /// copied (`MappedFile`: opened and checked as every file lorad reads,
    /// so a FIFO or a device is refused, not waited on); the mapping lives
    /// as long as the bytes do.
    /// - Throws: `SafeTensorsError.unreadable` (missing, not a regular file),
    ///   `.cannotOpen` (mmap failed), each naming the file.
    public init(mapping path: String) throws(SafeTensorsError) {
        let file = try MappedFile(path: path)
        guard let base = file.base else {
            self.init()
            return
        }
        self.init(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: file.size,
                  deallocator: .custom { _, _ in withExtendedLifetime(file) {} })
    }
}
