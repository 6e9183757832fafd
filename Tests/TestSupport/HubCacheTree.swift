import Foundation

/// A Hugging Face hub cache written as `hf download ORG/NAME` writes one
/// (huggingface_hub's `file_download.py`): each file's bytes once in
/// `models--ORG--NAME/blobs/<hash>`, the snapshot `snapshots/<commit>/FILE`
/// a relative symlink `../../blobs/<hash>`, and `refs/main` holding the
/// commit id without a newline. `HuggingFaceHubPeer.view` reads such a
/// tree back with huggingface_hub itself.
public struct HubCacheTree {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// `models--ORG--NAME` of `repo` ("ORG/NAME").
    public func repoFolder(_ repo: String) -> URL {
        root.appendingPathComponent("models--" + repo.replacingOccurrences(of: "/", with: "--"))
    }

    /// The snapshot folder of `repo` at `commit`.
    public func snapshot(_ repo: String, commit: String) -> URL {
        repoFolder(repo).appendingPathComponent("snapshots").appendingPathComponent(commit)
    }

    /// Writes `files` (name → bytes) as the snapshot `commit` of `repo`,
    /// each blob named by `blobName` of its bytes (the Hub names a blob by
    /// its git or LFS hash; nothing reads the name back), and points
    /// `refs/main` at it unless `main` is false.
    @discardableResult
    public func download(_ repo: String, commit: String, files: [String: Data], blobName: (Data) -> String,
                         main: Bool = true) throws -> URL {
        let fm = FileManager.default
        let folder = repoFolder(repo)
        let blobs = folder.appendingPathComponent("blobs"), snapshot = snapshot(repo, commit: commit)
        try fm.createDirectory(at: blobs, withIntermediateDirectories: true)
        try fm.createDirectory(at: snapshot, withIntermediateDirectories: true)
        for (name, data) in files {
            let hash = blobName(data)
            let blob = blobs.appendingPathComponent(hash)
            if !fm.fileExists(atPath: blob.path) { try data.write(to: blob) }
            let link = snapshot.appendingPathComponent(name)
            try? fm.removeItem(at: link)
            try fm.createSymbolicLink(atPath: link.path, withDestinationPath: "../../blobs/" + hash)
        }
        if main { try setMain(repo, commit: commit) }
        return snapshot
    }

    /// Writes `refs/main` of `repo` (as huggingface_hub does: the id alone).
    public func setMain(_ repo: String, commit: String) throws {
        let refs = repoFolder(repo).appendingPathComponent("refs")
        try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: refs.appendingPathComponent("main"))
    }

    /// The PEFT files of fixture adapter folder `folder`.
    public static func adapterFiles(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["adapter_config.json", "adapter_model.safetensors"] {
            files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return files
    }
}
