import Foundation

/// Why `lorad merge --out DIR` cannot be the output folder, naming it and
/// the system's reason (never Foundation's error dump).
enum MergeOutputError: Error, CustomStringConvertible {
    case notAFolder(path: String)
    case cannotCreate(path: String, reason: String)

    var description: String {
        switch self {
        case .notAFolder(let path): return "\(path): exists and is not a folder (--out names the output folder)"
        case let .cannotCreate(path, reason): return "\(path): cannot create the output folder: \(reason)"
        }
    }

    /// Creates `folder` (and its missing parents) unless it is one already.
    static func createFolder(_ folder: URL) throws(MergeOutputError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw .notAFolder(path: folder.path) }
            return
        }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw .cannotCreate(path: folder.path, reason: systemReason(error))
        }
    }

    /// strerror(3) of the POSIX error under a Foundation file error
    /// (`NSUnderlyingErrorKey`), else Foundation's own text.
    static func systemReason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        }
        return ns.localizedDescription
    }
}
