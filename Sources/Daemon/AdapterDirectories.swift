import FileReading
import Foundation
import Glibc

/// The folders adapters may be read from (`adapter_dirs`), and the only way
/// the daemon reads an adapter from disk: every path is resolved with
/// `realpath(3)` (symlinks and `..` followed) and must then lie inside one of
/// the folders, itself resolved the same way — so a symlink inside a folder
/// that points outside it is refused like a path outside it.
public struct AdapterDirectories: Sendable {
    /// The configured folders, resolved; ones that do not exist are left out.
    public let roots: [String]
    /// What the folders are, for refusals ("any of the configured adapter_dirs").
    let area: String
    /// PEFT's file names in an adapter folder.
    static let configFile = "adapter_config.json"
    static let weightsFile = "adapter_model.safetensors"

    public init(_ paths: [String], area: String = "any of the configured adapter_dirs") {
        roots = paths.compactMap(Self.realPath)
        self.area = area
    }

    /// `realpath(3)`: absolute, no symlinks, no `.` or `..`; nil when a
    /// component does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether the resolved path `real` is one of the folders or inside one.
    func contains(real: String) -> Bool {
        roots.contains { root in real == root || real.hasPrefix(root == "/" ? "/" : root + "/") }
    }

    /// `path` resolved, if it lies inside a folder.
    /// - Throws: `.noAdapterDirs`; `.malformed` for a path holding a NUL (C
    ///   would read only the part before it, not the path given); `.outside`
    ///   (also for a path that does not exist and would not be inside one, so
    ///   nothing is learnt about paths outside); `.notFound` for a missing
    ///   path inside one, `.unreadable` for one realpath cannot follow there
    ///   (a symlink loop, no permission).
    func resolve(_ path: String) throws(AdapterPathError) -> String {
        guard !roots.isEmpty else { throw .noAdapterDirs }
        guard !path.utf8.contains(0) else { throw .malformed(path: path, reason: "contains a NUL character") }
        guard let real = Self.realPath(path) else {
            let code = errno
            // Lexically inside a folder (".." collapsed, no symlinks followed)?
            let lexical = URL(fileURLWithPath: path).standardizedFileURL.path
            guard contains(real: lexical) else { throw .outside(path: path, allowed: area) }
            guard code == ENOENT || code == ENOTDIR else {
                throw .unreadable(path: path, reason: String(cString: strerror(code)))
            }
            throw .notFound(path: path)
        }
        guard contains(real: real) else { throw .outside(path: path, allowed: area) }
        return real
    }

    /// Size and modification time of a file, for telling when it changed.
    struct FileStamp: Equatable, Sendable {
        var size: Int64
        var modifiedNanoseconds: Int64
    }

    /// Both files of the adapter folder `folder`, their stamps, nothing read.
    /// - Throws: `AdapterPathError` (a file missing, or resolving outside).
    func stamps(ofFolder folder: String) throws(AdapterPathError) -> [FileStamp] {
        var stamps: [FileStamp] = []
        for file in [Self.configFile, Self.weightsFile] {
            let path = try resolve(folder + "/" + file)
            var info = stat()
            guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            stamps.append(FileStamp(size: Int64(info.st_size),
                                    modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)))
        }
        return stamps
    }

    /// The bytes `readAdapter(folder:maxWeightsBytes:)` will buffer, from the
    /// files' sizes (each capped at what its read accepts; 0 for a file that
    /// cannot be opened, whose read then fails), so a caller can claim them
    /// from a memory budget before reading.
    func adapterBytes(folder: String, maxWeightsBytes: Int) -> Int {
        [(Self.configFile, FileSizeLimit.adapterConfig.bytes), (Self.weightsFile, maxWeightsBytes)].reduce(0) { total, file in
            guard let real = try? resolve(folder + "/" + file.0) else { return total }
            do { return total + min(try RegularFile(opening: real).size, file.1) } catch { return total }
        }
    }

    /// Reads the PEFT folder `folder` (already resolved and inside): its
    /// `adapter_config.json` (at most 1 MiB) and `adapter_model.safetensors`
    /// (at most `maxWeightsBytes`), each resolved and checked again.
    func readAdapter(folder: String, maxWeightsBytes: Int) throws(AdapterPathError) -> (config: Data, weights: Data) {
        (try read(folder + "/" + Self.configFile, limit: .adapterConfig),
         try read(folder + "/" + Self.weightsFile, limit: FileSizeLimit(bytes: maxWeightsBytes, kind: "adapter weights (max_upload_mb)")))
    }

    /// The file at `path` (resolved inside these folders), at most `limit` bytes
    /// (`RegularFile`: a FIFO, a device or a folder is refused, not waited on).
    func read(_ path: String, limit: FileSizeLimit) throws(AdapterPathError) -> Data {
        let real = try resolve(path)
        do { return try RegularFile.read(real, limit: limit) } catch {
            switch error {
            case .tooLarge: throw .tooLarge(path: path, limit: limit.bytes)
            case .missing: throw .notFound(path: path)
            default: throw .unreadable(path: path, reason: error.reason)
            }
        }
    }
}
