import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One system call's result with its errno captured at once (the error
/// message is built after, and building it may call into libc).
struct SystemCall {
    let result: Int32
    let errorNumber: Int32

    init(_ result: Int32) {
        self.result = result
        self.errorNumber = result < 0 ? errno : 0
    }

    var failed: Bool { result < 0 }

    /// The result, or `SafeTensorsError.writeFailed` naming `path`, what
    /// failed and the system's reason.
    @discardableResult
    func check(_ path: String, _ what: @autoclosure () -> String) throws -> Int32 {
        guard failed else { return result }
        throw SafeTensorsError.writeFailed(file: path, reason: "\(what()): \(String(cString: strerror(errorNumber)))")
    }
}
