import Glibc

/// A failed libc call on a file, with the `errno` it left, captured at the
/// call site before anything else can overwrite it.
struct FileSystemError: Error, Equatable, Sendable {
    /// The libc function that failed (`open`, `fstat`, `read`, `stat`).
    let call: String
    let errno: Int32

    /// strerror(3) of `errno`, e.g. "Permission denied".
    var reason: String { strerror(errno).map { String(cString: $0) } ?? "errno \(errno)" }
}
