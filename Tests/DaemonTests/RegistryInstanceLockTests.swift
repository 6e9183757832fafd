import Foundation
import Glibc
import Testing
import TestSupport
@testable import Daemon

/// One daemon per registry *file*, however it is named: through a symlink
/// it is the same lock, a hard-linked file is refused, and a lock file that
/// cannot be opened stops the start instead of being skipped.
@Suite struct RegistryInstanceLockTests {
    static func registry(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("registry.sqlite")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data("x".utf8)))
        return url
    }

    @Test func aSymlinkToTheRegistryMeetsTheSameLock() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-lock-symlink")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.registry(in: dir)
        let other = dir.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let link = other.appendingPathComponent("link.sqlite")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: url)
        let first = try #require(try RegistryInstanceLock(registryPath: url.path))
        let error = try #require(throws: RegistryInstanceLockError.self) { _ = try RegistryInstanceLock(registryPath: link.path) }
        #expect(error.description.contains("another lorad serves this registry (pid \(getpid()))"), "\(error)")
        #expect(error.path == first.path)
        _ = first
    }

    /// A symlink whose registry does not exist yet (a first start): the lock
    /// is the target's, where SQLite creates the file.
    @Test func aSymlinkToARegistryNotYetCreatedMeetsTheTargetsLock() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-lock-dangling")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("data/registry.sqlite")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let link = dir.appendingPathComponent("registry.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "data/registry.sqlite")
        let first = try #require(try RegistryInstanceLock(registryPath: link.path))
        #expect(first.path.hasSuffix("/data/registry.sqlite.lock"), "\(first.path)")
        #expect(throws: RegistryInstanceLockError.self) { _ = try RegistryInstanceLock(registryPath: target.path) }
        _ = first
    }

    @Test func aRegistryFileWithAnotherHardLinkIsRefused() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-lock-hardlink")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.registry(in: dir)
        let twin = dir.appendingPathComponent("twin.sqlite")
        #expect(link(url.path, twin.path) == 0)
        for path in [url.path, twin.path] {
            let error = try #require(throws: RegistryInstanceLockError.self) { _ = try RegistryInstanceLock(registryPath: path) }
            #expect(error.description.contains("has 2 hard links"), "\(error)")
        }
        try FileManager.default.removeItem(at: twin)
        #expect(throws: Never.self) { _ = try RegistryInstanceLock(registryPath: url.path) }
    }

    @Test func aLockFileThatCannotBeOpenedStopsTheStart() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-lock-unopenable")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.registry(in: dir)
        try FileManager.default.createDirectory(atPath: url.path + ".lock", withIntermediateDirectories: true)
        let error = try #require(throws: RegistryInstanceLockError.self) { _ = try RegistryInstanceLock(registryPath: url.path) }
        #expect(error.description.contains("cannot open the lock file"), "\(error)")
    }

    @Test func aMissingFolderIsLeftToTheRegistryToName() throws {
        #expect(try RegistryInstanceLock(registryPath: "/nonexistent-lorad-folder/registry.sqlite") == nil)
    }
}
