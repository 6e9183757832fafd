import AdapterNaming
import FileReading
import Foundation

/// The Hugging Face hub cache as `hf download ORG/NAME` lays it out
/// (huggingface_hub's `file_download.py`: `repo_folder_name`, the refs and
/// the relative symlinks `_create_symlink` makes):
///
/// ```
/// ROOT/models--ORG--NAME/refs/main                       the commit main points at
/// ROOT/models--ORG--NAME/snapshots/<commit>/adapter_config.json -> ../../blobs/<hash>
/// ROOT/models--ORG--NAME/blobs/<hash>
/// ```
///
/// It finds the snapshot folder of a hub id at `refs/main`, as
/// huggingface_hub's `try_to_load_from_cache(revision="main")` does offline;
/// reading it is left to `AdapterDirectories` confined to ROOT, so every
/// file, link targets included, must resolve inside the cache.
public struct HubCacheLayout: Sendable {
    /// The configured cache folder (`hf_hub_cache`); it may not exist yet
    /// (`hf download` creates it), so it is resolved on each lookup.
    public let root: String

    public init(root: String) { self.root = root }

    /// The most bytes of `refs/main` read (a commit id and a newline).
    static let maxRefBytes = 256
    static let refLimit = FileSizeLimit(bytes: maxRefBytes, kind: "a hub cache ref")

    /// The snapshot folder of hub id `name` at `refs/main`, and the cache as
    /// the one folder its files may resolve into; nil for a plain name, a
    /// cache that does not exist, or one without `models--ORG--NAME`.
    /// - Throws: `AdapterPathError`: `.notFound` naming `refs/main` or the
    ///   snapshot folder it points at; `.malformed` for a ref that names no
    ///   commit; `.outside` (403) for either resolving outside the cache.
    public func locate(_ name: String) throws(AdapterPathError) -> (folder: String, area: AdapterDirectories)? {
        guard let hub = (try? AdapterName(name))?.hubID else { return nil }
        let area = AdapterDirectories([root], area: "the Hugging Face hub cache '\(root)' (hf_hub_cache)")
        guard let cache = area.roots.first else { return nil }
        // huggingface_hub's repo_folder_name: "models", ORG and NAME joined
        // by "--" (which a hub id cannot contain, so the split is unique).
        let repo = cache + "/models--\(hub.organization)--\(hub.name)"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: repo, isDirectory: &isFolder), isFolder.boolValue else { return nil }
        let ref = repo + "/refs/main"
        let commit = try Self.commit(in: ref, area: area)
        let snapshot = repo + "/snapshots/" + commit
        return (try area.resolve(snapshot), area)
    }

    /// The commit id a ref file holds: 40 (SHA-1) or 64 (SHA-256)
    /// lowercase hex digits, as the Hub's API returns them; whitespace
    /// around it (a hand-written file's newline) is ignored.
    static func commit(in ref: String, area: AdapterDirectories) throws(AdapterPathError) -> String {
        let problem = "names no commit (40 or 64 lowercase hexadecimal digits)"
        let data: Data
        do { data = try area.read(ref, limit: refLimit) } catch {
            guard case .tooLarge = error else { throw error }
            throw .malformed(path: ref, reason: "\(problem): longer than \(maxRefBytes) bytes")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let isHex = text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
        guard text.count == 40 || text.count == 64, isHex else {
            throw .malformed(path: ref, reason: "\(problem): '\(text.prefix(80))'")
        }
        return text
    }
}
