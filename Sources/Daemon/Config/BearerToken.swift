import FileReading
import Foundation

/// A secret bearer token read from a token file.
///
/// Its `description` is redacted so that interpolating it into a log line or
/// an error cannot leak it; compare presented tokens with `matches(_:)`
/// (constant time in the token length, so a timing probe learns nothing about
/// how many leading bytes were right).
public struct BearerToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let bytes: [UInt8]

    /// A token from its text; nil when it is empty.
    public init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        bytes = Array(text.utf8)
    }

    /// Reads a token file: the whole file (a regular file of at most
    /// `FileSizeLimit.tokenFile`), surrounding whitespace (the usual
    /// trailing newline of `echo token > file`) trimmed.
    ///
    /// - Parameter key: the setting that named the file, for the error.
    public static func read(file path: String, key: String) throws(ConfigError) -> BearerToken {
        let text: String
        do { text = try RegularFile.readText(path, limit: .tokenFile) } catch {
            throw .unreadableTokenFile(key: key, path: path, reason: error.reason)
        }
        guard let token = BearerToken(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .emptyTokenFile(key: key, path: path)
        }
        return token
    }

    /// Whether `presented` (the part after `Bearer `) is this token.
    ///
    /// The length difference is folded in at full width: truncating it to a
    /// byte once made a token followed by 256·k extra characters match.
    public func matches(_ presented: String) -> Bool {
        let other = Array(presented.utf8)
        var difference = UInt(bitPattern: other.count ^ bytes.count)
        for i in 0..<bytes.count {
            difference |= UInt(bytes[i] ^ (i < other.count ? other[i] : 0))
        }
        return difference == 0
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
