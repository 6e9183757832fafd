import Foundation

/// The `huggingface_hub` Python package (`pip install huggingface_hub`) as a
/// peer: its `validate_repo_id` judges hub ids, and its offline cache
/// readers (`scan_cache_dir`, `try_to_load_from_cache`) judge a cache tree
/// a test built. No network is used.
public enum HuggingFaceHubPeer {
    /// python3 with `huggingface_hub`, or nil when either is missing.
    public static let python: String? = {
        guard let python = ExternalTool.find("python3"),
              let probe = try? ExternalTool.run(python, ["-c", "import huggingface_hub"]), probe.status == 0 else { return nil }
        return python
    }()

    /// Reads one id a line on stdin; prints "ok" or "refused" for each.
    static let validateScript = """
    import sys
    from huggingface_hub.utils import validate_repo_id, HFValidationError
    for line in sys.stdin.read().split("\\n")[:-1]:
        try:
            validate_repo_id(line)
            print("ok")
        except HFValidationError:
            print("refused")
    """

    /// Whether `validate_repo_id` accepts each of `ids` (no newlines in them).
    public static func accepts(_ ids: [String], python: String) throws -> [Bool] {
        let result = try ExternalTool.run(python, ["-c", validateScript], stdin: ids.map { $0 + "\n" }.joined())
        guard result.status == 0 else { throw Failed(stderr: result.stderr) }
        return result.stdout.split(separator: "\n").map { $0 == "ok" }
    }

    /// argv: cache root, repo id, file name. Prints the scanned repos and
    /// the file `try_to_load_from_cache` finds at revision main (or "None").
    static let cacheScript = """
    import json, sys
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache
    root, repo, name = sys.argv[1:4]
    info = scan_cache_dir(root)
    found = try_to_load_from_cache(repo, name, cache_dir=root)
    print(json.dumps({
        "repos": sorted(r.repo_id for r in info.repos),
        "errors": [str(e) for e in info.warnings],
        "file": found if isinstance(found, str) else None,
    }))
    """

    public struct CacheView: Decodable, Sendable {
        /// The repo ids `scan_cache_dir` lists.
        public var repos: [String]
        /// Its warnings (a tree it finds corrupted).
        public var errors: [String]
        /// The path of `file` that `try_to_load_from_cache` returns, nil when not cached.
        public var file: String?
    }

    /// How huggingface_hub sees the cache at `root`, and where it finds `file` of `repo`.
    public static func view(root: URL, repo: String, file: String, python: String) throws -> CacheView {
        let result = try ExternalTool.run(python, ["-c", cacheScript, root.path, repo, file])
        guard result.status == 0 else { throw Failed(stderr: result.stderr) }
        return try JSONDecoder().decode(CacheView.self, from: Data(result.stdout.utf8))
    }

    public struct Failed: Error, CustomStringConvertible {
        public let stderr: String
        public var description: String { "huggingface_hub failed: \(stderr)" }
    }
}
