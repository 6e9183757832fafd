import Foundation

extension RegularFile {
    /// The whole file, at most `limit.bytes` of it.
    ///
    /// A file whose `st_size` exceeds the limit is refused before anything
    /// is read; reading then stops one byte past the limit, so a file that
    /// grows meanwhile (or reports no size, as /proc files do) is refused
    /// too, having cost at most the limit in memory.
    /// - Throws: `.tooLarge`, `.readFailed` (strerror).
    public func readAll(limit: FileSizeLimit) throws(FileReadError) -> Data {
        guard size <= limit.bytes else { throw .tooLarge(path: path, size: size, limit: limit) }
        let cap = limit.bytes + 1
        // One byte more than the size: a file that stays put ends (read
        // returns 0) without growing the buffer.
        var data = Data(count: min(cap, size > 0 ? size + 1 : 4096))
        var count = 0
        let descriptor = file
        while true {
            if count == data.count {
                guard data.count < cap else { break }
                data.count = min(cap, data.count * 2)
            }
            let result: Result<Int, FileSystemError> = data.withUnsafeMutableBytes { raw in
                Result { () throws(FileSystemError) -> Int in
                    try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[count...]))
                }
            }
            let n: Int
            do { n = try result.get() } catch { throw .readFailed(path: path, reason: error.reason) }
            if n == 0 { break }
            count += n
        }
        guard count <= limit.bytes else { throw .tooLarge(path: path, size: nil, limit: limit) }
        data.count = count
        return data
    }

    /// Opens, checks and reads `path` (see `init(opening:)`, `readAll(limit:)`).
    public static func read(_ path: String, limit: FileSizeLimit) throws(FileReadError) -> Data {
        try RegularFile(opening: path).readAll(limit: limit)
    }

    /// As `read`, but nil when nothing is at `path` (an optional file of a
    /// model folder). Anything else there that cannot be read still throws.
    public static func readIfPresent(_ path: String, limit: FileSizeLimit) throws(FileReadError) -> Data? {
        do { return try read(path, limit: limit) } catch .missing { return nil }
    }

    /// As `read`, decoded as UTF-8.
    /// - Throws: also `.notUTF8`.
    public static func readText(_ path: String, limit: FileSizeLimit) throws(FileReadError) -> String {
        guard let text = String(data: try read(path, limit: limit), encoding: .utf8) else { throw .notUTF8(path: path) }
        return text
    }
}
