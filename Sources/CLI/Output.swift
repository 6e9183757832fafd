import Foundation

/// Unbuffered writes to stdout/stderr (streamed generation must appear token by token).
public enum FileHandleOutput {
    public static func stdout(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }
    public static func stderr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
