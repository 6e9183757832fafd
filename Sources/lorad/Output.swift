import Foundation

/// Unbuffered writes to stdout/stderr (streamed generation must appear token by token).
enum FileHandleOutput {
    static func stdout(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }
    static func stderr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
