import Foundation
import Registry
import Testing
import TestSupport
@testable import Daemon

/// Finding a hub id's adapter in a Hugging Face hub cache laid out as
/// `hf download` lays it out (`HubCacheTree`), and refusing every way the
/// layout can be incomplete or lead outside the cache.
@Suite struct HubCacheLayoutTests {
    static let repo = "lorad-test/python-qv-r8"
    static let commit = String(repeating: "a1b2c3d4e5", count: 4)
    static let other = String(repeating: "0f", count: 20)

    static func blobName(_ data: Data) -> String { SHA256.hex(of: data) }

    /// A cache holding the fixture `python-qv-r8` as `repo` at `commit`.
    static func cache() throws -> (tree: HubCacheTree, dir: URL) {
        let dir = try Fixtures.temporaryDirectory("lorad-hub-cache")
        let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
        try tree.download(repo, commit: commit, files: try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8")),
                          blobName: blobName)
        return (tree, dir)
    }

    static func realPath(_ url: URL) -> String? { AdapterDirectories.realPath(url.path) }

    @Test func theSnapshotAtRefsMainIsReadWithTheFixturesBytes() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let layout = HubCacheLayout(root: tree.root.path)
        let (folder, area) = try #require(try layout.locate(Self.repo))
        #expect(folder == Self.realPath(tree.snapshot(Self.repo, commit: Self.commit)))
        let files = try area.readAdapter(folder: folder, maxWeightsBytes: 1 << 30)
        let fixture = try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8"))
        #expect(files.config == fixture["adapter_config.json"])
        #expect(files.weights == fixture["adapter_model.safetensors"])
        // The stamps are the blobs' (the links resolved).
        let stamps = try area.stamps(ofFolder: folder)
        #expect(stamps.map(\.size) == [Int64(files.config.count), Int64(files.weights.count)])
    }

    /// huggingface_hub itself reads the tree as a valid cache holding the
    /// repo, and finds each file at revision main where lorad does.
    @Test(.enabled(if: HuggingFaceHubPeer.python != nil, "needs python3 with huggingface_hub (pip install huggingface_hub)"))
    func huggingFaceHubFindsTheSameFiles() throws {
        let python = try #require(HuggingFaceHubPeer.python)
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (folder, _) = try #require(try HubCacheLayout(root: tree.root.path).locate(Self.repo))
        for file in [AdapterDirectories.configFile, AdapterDirectories.weightsFile] {
            let view = try HuggingFaceHubPeer.view(root: tree.root, repo: Self.repo, file: file, python: python)
            #expect(view.repos == [Self.repo])
            #expect(view.errors.isEmpty, "\(view.errors)")
            let found = try #require(view.file, "huggingface_hub does not find \(file)")
            #expect(AdapterDirectories.realPath(found) == AdapterDirectories.realPath(folder + "/" + file))
        }
    }

    @Test func refsMainPicksTheSnapshotAndAMovedRefIsFollowed() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tree.download(Self.repo, commit: Self.other, files: try HubCacheTree.adapterFiles(Fixtures.adapter("upper-all-r4")),
                          blobName: Self.blobName, main: false)
        let layout = HubCacheLayout(root: tree.root.path)
        #expect(try layout.locate(Self.repo)?.folder == Self.realPath(tree.snapshot(Self.repo, commit: Self.commit)))
        try tree.setMain(Self.repo, commit: Self.other + "\n")   // a hand-written ref's newline is tolerated
        let (folder, area) = try #require(try layout.locate(Self.repo))
        #expect(folder == Self.realPath(tree.snapshot(Self.repo, commit: Self.other)))
        let weights = try area.readAdapter(folder: folder, maxWeightsBytes: 1 << 30).weights
        let upper = try HubCacheTree.adapterFiles(Fixtures.adapter("upper-all-r4"))
        #expect(weights == upper["adapter_model.safetensors"])
    }

    @Test func plainNamesAndAbsentReposAreNotTheCachesToAnswer() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let layout = HubCacheLayout(root: tree.root.path)
        // A plain name is never looked up, even when a folder would match.
        try FileManager.default.createDirectory(at: tree.root.appendingPathComponent("models--plain"), withIntermediateDirectories: true)
        #expect(try layout.locate("plain") == nil)
        #expect(try layout.locate("lorad-test/absent") == nil)
        #expect(try layout.locate("a/b/c") == nil)
        #expect(try HubCacheLayout(root: dir.appendingPathComponent("no-such-cache").path).locate(Self.repo) == nil)
    }

    @Test func aMissingRefOrSnapshotIsNotFoundNamingIt() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let layout = HubCacheLayout(root: tree.root.path)
        let root = try #require(Self.realPath(tree.root))
        let repoFolder = root + "/models--lorad-test--python-qv-r8"

        try tree.setMain(Self.repo, commit: Self.other)
        #expect(throws: AdapterPathError.notFound(path: repoFolder + "/snapshots/" + Self.other)) { try layout.locate(Self.repo) }

        try FileManager.default.removeItem(at: tree.repoFolder(Self.repo).appendingPathComponent("refs/main"))
        #expect(throws: AdapterPathError.notFound(path: repoFolder + "/refs/main")) { try layout.locate(Self.repo) }
        #expect(AdapterPathError.notFound(path: "x").httpError.status == .notFound)
    }

    @Test func aMissingFileOrBlobIsNotFoundNamingIt() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let snapshot = tree.snapshot(Self.repo, commit: Self.commit)
        let layout = HubCacheLayout(root: tree.root.path)
        let (folder, area) = try #require(try layout.locate(Self.repo))
        // The link dangles once its blob is gone (a cache cleaned by hand).
        let weightsBlob = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("adapter_model.safetensors").path)
        try FileManager.default.removeItem(at: snapshot.appendingPathComponent(weightsBlob).standardizedFileURL)
        #expect(throws: AdapterPathError.notFound(path: folder + "/adapter_model.safetensors")) { try area.stamps(ofFolder: folder) }
        try FileManager.default.removeItem(at: snapshot.appendingPathComponent("adapter_config.json"))
        #expect(throws: AdapterPathError.notFound(path: folder + "/adapter_config.json")) { try area.stamps(ofFolder: folder) }
    }

    @Test func aRefNamingNoCommitIsMalformed() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let layout = HubCacheLayout(root: tree.root.path)
        for text in ["", "main", "../../../etc", String(Self.commit.dropLast()), Self.commit.uppercased(), Self.commit + "/x",
                     String(repeating: "a", count: 300)] {
            try tree.setMain(Self.repo, commit: text)
            let error = try #require(throws: AdapterPathError.self) { try layout.locate(Self.repo) }
            guard case .malformed(let path, let reason) = error else { Issue.record("\(text): \(error)"); continue }
            #expect(path.hasSuffix("/models--lorad-test--python-qv-r8/refs/main"))
            #expect(reason.contains("names no commit"))
            #expect(error.httpError.status == .unprocessableContent)
        }
    }

    /// Links leaving the cache are refused wherever they are: a snapshot
    /// file, the snapshot folder, `refs/main`, the repo folder itself.
    @Test func everyLinkOutOfTheCacheIsForbidden() throws {
        let (tree, dir) = try Self.cache()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        let outside = dir.appendingPathComponent("outside")
        try fm.createDirectory(at: outside, withIntermediateDirectories: true)
        let layout = HubCacheLayout(root: tree.root.path)
        func forbidden(_ body: () throws -> Void) {
            do { try body(); Issue.record("not refused") } catch let error as AdapterPathError {
                guard case .outside(_, let allowed) = error else { Issue.record("\(error)"); return }
                #expect(allowed.contains("hub cache"))
                #expect(error.httpError.status == .forbidden)
            } catch { Issue.record("\(error)") }
        }

        // A snapshot file linking outside (e.g. to /etc/passwd or another volume).
        let snapshot = tree.snapshot(Self.repo, commit: Self.commit)
        let weights = snapshot.appendingPathComponent("adapter_model.safetensors")
        try fm.copyItem(at: Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_model.safetensors"),
                        to: outside.appendingPathComponent("weights"))
        try fm.removeItem(at: weights)
        try fm.createSymbolicLink(atPath: weights.path, withDestinationPath: "../../../../outside/weights")
        let (folder, area) = try #require(try layout.locate(Self.repo))
        forbidden { _ = try area.stamps(ofFolder: folder) }
        forbidden { _ = try area.readAdapter(folder: folder, maxWeightsBytes: 1 << 30) }

        // The snapshot folder, refs/main, and the repo folder linking outside.
        let moved = outside.appendingPathComponent("snapshot")
        try fm.moveItem(at: snapshot, to: moved)
        try fm.createSymbolicLink(at: snapshot, withDestinationURL: moved)
        forbidden { _ = try layout.locate(Self.repo) }
        try fm.removeItem(at: snapshot)
        try fm.moveItem(at: moved, to: snapshot)

        let ref = tree.repoFolder(Self.repo).appendingPathComponent("refs/main")
        try Data(Self.commit.utf8).write(to: outside.appendingPathComponent("main"))
        try fm.removeItem(at: ref)
        try fm.createSymbolicLink(at: ref, withDestinationURL: outside.appendingPathComponent("main"))
        forbidden { _ = try layout.locate(Self.repo) }

        let repoFolder = tree.repoFolder(Self.repo)
        try fm.moveItem(at: repoFolder, to: outside.appendingPathComponent("repo"))
        try fm.createSymbolicLink(at: repoFolder, withDestinationURL: outside.appendingPathComponent("repo"))
        forbidden { _ = try layout.locate(Self.repo) }
    }
}
