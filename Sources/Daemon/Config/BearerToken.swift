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
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = BearerToken(trimmed) else {
            throw .emptyTokenFile(key: key, path: path)
        }
        if let offset = unsendableOffset(trimmed) {
            throw .unusableToken(key: key, path: path,
                                 reason: "it holds a control character (byte \(offset + 1) of the token), which no "
                                     + "client can send in an Authorization header (RFC 9110 §5.5), so every request would be refused")
        }
        return token
    }

    /// The offset of the first byte an HTTP field value cannot carry: a
    /// control character other than HTAB, or DEL (RFC 9110 §5.5; lorad's
    /// parser refuses such a header with 400). nil when every byte can be sent.
    static func unsendableOffset(_ text: String) -> Int? {
        text.utf8.firstIndex { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }.map { text.utf8.distance(from: text.utf8.startIndex, to: $0) }
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
