import Glibc

/// A libc call `SpecialFile` made failed.
public struct SpecialFileError: Error, CustomStringConvertible {
    let call: String
    let path: String
    let errno: Int32

    public var description: String { "\(call) \(path): \(String(cString: strerror(errno)))" }
}
