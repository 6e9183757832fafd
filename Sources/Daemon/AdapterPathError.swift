import HTTP1

/// Why a folder or file could not be read as an adapter from `adapter_dirs`
/// or the Hugging Face hub cache.
public enum AdapterPathError: Error, CustomStringConvertible, Equatable {
    /// Resolved (symlinks and `..` followed), the path is in no allowed
    /// folder; `allowed` says which (`AdapterDirectories.area`).
    case outside(path: String, allowed: String)
    /// No `adapter_dirs` are configured: no path may be read.
    case noAdapterDirs
    /// A hub id `ORG/NAME` the configured hub cache does not hold.
    case notInHubCache(id: String, root: String)
    case notFound(path: String)
    /// A file the hub cache layout needs holds something else (`refs/main`
    /// naming no commit).
    case malformed(path: String, reason: String)
    case tooLarge(path: String, limit: Int)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .outside(path, allowed):
            return "'\(path)' is not inside \(allowed) (resolved with realpath)"
        case .noAdapterDirs:
            return "no adapter_dirs are configured: this server reads adapters from no folder"
        case .notFound(let path):
            return "'\(path)' does not exist"
        case let .notInHubCache(id, root):
            return "hub id '\(id)' is not in the Hugging Face hub cache '\(root)' (hf_hub_cache): "
                + "fetch it there with `HF_HUB_CACHE=\(root) hf download \(id)`"
        case let .tooLarge(path, limit):
            return "'\(path)' is larger than \(limit) bytes"
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .malformed(path, reason):
            return "'\(path)' \(reason)"
        }
    }

    /// 403 for a path the server must not read, 404, 422 (a file too large
    /// too: 413 would tell the client its own request is, which it is not).
    var httpError: HTTPError {
        switch self {
        case .outside, .noAdapterDirs: return HTTPError(.forbidden, description, type: "permission_error")
        case .notFound, .notInHubCache: return HTTPError(.notFound, description, type: "not_found_error")
        case .tooLarge, .unreadable, .malformed: return HTTPError(.unprocessableContent, description, type: "invalid_request_error")
        }
    }
}
