import Glibc

extension RegularFile {
    /// Refuses a `path` that exists and is not a regular file, for an opener
    /// that takes a path and opens it itself (SQLite: a FIFO as the registry
    /// would block its open(2) for ever). stat(2) follows symlinks, as the
    /// opener will. Checked by path, so a swap between this check and the
    /// opener's open is not caught: the best possible without the descriptor.
    /// Nothing at `path` is fine (the opener may create it).
    /// - Throws: `.notRegularFile`, `.cannotOpen` (stat failed otherwise than ENOENT).
    public static func refuseUnlessRegular(_ path: String) throws(FileReadError) {
        let info: stat
        do { info = try FileDescriptor.status(path: path) } catch {
            if error.errno == ENOENT { return }
            throw .cannotOpen(path: path, reason: "stat: \(error.reason)")
        }
        let type = FileType(mode: info.st_mode)
        guard type == .regular else { throw .notRegularFile(path: path, type: type) }
    }
}
