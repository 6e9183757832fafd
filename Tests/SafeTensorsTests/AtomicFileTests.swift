import Foundation
import Testing
import SafeTensors
import TestSupport

/// `AtomicFile`: a file is named only once complete; a failed write leaves
/// no trace and the previous file as it was — for both ways of staging.
@Suite struct AtomicFileTests {
    struct Interrupted: Error {}

    static let stagings: [AtomicFile.Staging] = [.unnamed, .named]

    @Test(arguments: stagings)
    func aCompletedWriteReplacesTheFileWhole(_ staging: AtomicFile.Staging) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        try Data("old and longer than the new content".utf8).write(to: url)
        try AtomicFile.write(to: url, staging: staging) { handle in
            try handle.write(contentsOf: Data("new".utf8))
            try handle.write(contentsOf: Data(" content".utf8))
        }
        #expect(try Data(contentsOf: url) == Data("new content".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    @Test(arguments: stagings)
    func aFailedWriteLeavesTheOldFileAndNothingElse(_ staging: AtomicFile.Staging) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        try Data("old".utf8).write(to: url)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: url, staging: staging) { handle in
                try handle.write(contentsOf: Data(repeating: 7, count: 1 << 16))
                throw Interrupted()
            }
        }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])

        let fresh = dir.appendingPathComponent("fresh.safetensors")
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: fresh, staging: staging) { _ in throw Interrupted() }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    /// While the content is written, an unnamed staging shows no name in
    /// the folder at all (so a kill there leaves nothing); the named one
    /// shows NAME.partial.
    @Test(arguments: stagings)
    func whileWritingOnlyTheNamedStagingIsVisible(_ staging: AtomicFile.Staging) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.bin")
        var during: [String] = []
        try AtomicFile.write(to: url, staging: staging) { handle in
            try handle.write(contentsOf: Data("x".utf8))
            during = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        }
        #expect(during == (staging == .unnamed ? [] : ["out.bin.partial"]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
    }

    /// A stale NAME.partial (left by a named write that was killed) is
    /// replaced, not in the way.
    @Test(arguments: stagings)
    func aStalePartialFileIsReplaced(_ staging: AtomicFile.Staging) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.bin")
        try Data("stale".utf8).write(to: dir.appendingPathComponent("out.bin.partial"))
        try AtomicFile.write(to: url, staging: staging) { try $0.write(contentsOf: Data("done".utf8)) }
        #expect(try Data(contentsOf: url) == Data("done".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
    }

    @Test func aFolderThatDoesNotExistFailsNamingTheFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-lorad-folder/model.safetensors")
        for staging in Self.stagings {
            do {
                try AtomicFile.write(to: url, staging: staging) { _ in Issue.record("body must not run") }
                Issue.record("the write must fail")
            } catch let error as SafeTensorsError {
                #expect(error.description.contains(url.path), "\(error)")
                #expect(error.description.contains("No such file or directory"), "\(error)")
            }
        }
    }
}
