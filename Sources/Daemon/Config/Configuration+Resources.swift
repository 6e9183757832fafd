import Foundation
import Glibc

extension Configuration {
    /// The tokens named by `admin_token_file` / `inference_token_file`.
    public struct Tokens: Sendable, Equatable {
        /// Required on mutating endpoints when set.
        public var admin: BearerToken?
        /// Required on inference endpoints when set.
        public var inference: BearerToken?
    }

    /// Reads the token files (nil when a key is unset).
    /// - Throws: `unreadableTokenFile`, `emptyTokenFile` or `unusableToken`: a configured but
    ///   unusable token must stop the daemon, not open the endpoints.
    public func readTokens() throws(ConfigError) -> Tokens {
        var tokens = Tokens()
        if let path = adminTokenFile {
            tokens.admin = try BearerToken.read(file: path, key: ConfigKey.adminTokenFile.rawValue)
        }
        if let path = inferenceTokenFile {
            tokens.inference = try BearerToken.read(file: path, key: ConfigKey.inferenceTokenFile.rawValue)
        }
        return tokens
    }

    /// What `lorad check-config` verifies beyond syntax, without loading
    /// anything heavy: the model folder has a `config.json`, the registry's
    /// directory exists, the token files are readable and non-empty.
    /// Returns every problem found (empty = fine).
    public func resourceProblems() -> [ConfigError] {
        var problems: [ConfigError] = []
        if !Configuration.isModelFolder(model) {
            problems.append(.missingResource(key: ConfigKey.model.rawValue, path: model,
                                             detail: "not a model folder (no config.json)"))
        }
        var directory = (registry as NSString).deletingLastPathComponent
        if directory.isEmpty { directory = "." }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            problems.append(.missingResource(key: ConfigKey.registry.rawValue, path: registry,
                                             detail: "directory \(directory) does not exist"))
        }
        for folder in adapterDirs {
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue {
                problems.append(.missingResource(key: ConfigKey.adapterDirs.rawValue, path: folder,
                                                 detail: "not a directory"))
            }
        }
        do { _ = try readTokens() } catch { problems.append(error) }
        return problems
    }
}

extension Configuration {
    /// Descriptors lorad holds besides client connections (listeners, the
    /// event loops' epoll sets, the registry and its journal, stdio, model
    /// files while loading), kept free when `max_connections` is compared
    /// with the open-file limit.
    public static let reservedDescriptors = 64

    /// The soft open-file limit (`RLIMIT_NOFILE`), nil when unlimited or unknown.
    public static func openFileLimit() -> Int? {
        var rl = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0, rl.rlim_cur != rlim_t.max else { return nil }  // RLIM_INFINITY is all ones
        return rl.rlim_cur > UInt64(Int.max) ? nil : Int(rl.rlim_cur)
    }

    /// Why `max_connections` cannot be reached under the open-file limit
    /// `limit`, or nil when it can. Past the limit `accept` fails (EMFILE):
    /// clients wait in the kernel's backlog instead of getting the 503 that
    /// `max_connections` promises.
    public func openFileLimitProblem(limit: Int?) -> String? {
        guard let limit, maxConnections > limit - Configuration.reservedDescriptors else { return nil }
        return "max_connections (\(maxConnections)) exceeds the open-file limit (\(limit), less "
            + "\(Configuration.reservedDescriptors) for lorad's own files): raise it (ulimit -n, LimitNOFILE= in the unit) "
            + "or lower max_connections"
    }
}
