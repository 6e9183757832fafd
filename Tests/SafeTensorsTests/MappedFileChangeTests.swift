import Foundation
import Testing
import SafeTensors
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A mapped checkpoint whose file changes on disk: cut short in place it
/// says so before a reader touches a page past the new end (SIGBUS), and its
/// identity tells a file renamed into its place from the one it mapped.
@Suite struct MappedFileChangeTests {
    static func write(_ url: URL, count: Int = 1 << 16) throws {
        try SafeTensorsWriter.write([(name: "w", dtype: .f32, shape: [count], values: [Float](repeating: 0.5, count: count))],
                                    metadata: ["format": "pt"], to: url)
    }

    @Test func aFileCutShortInPlaceIsReportedNotFaultedOn() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-mapped-cut")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        try Self.write(url)
        let file = try SafeTensorsFile(contentsOf: url)
        try file.checkStillWhole()
        let size = try #require(file.identity?.size)
        #expect(truncate(url.path, off_t(size / 2)) == 0)
        #expect(throws: SafeTensorsError.truncatedWhileMapped(file: url.path, mappedSize: Int(size), size: Int(size / 2))) {
            try file.checkStillWhole()
        }
    }

    @Test func aFileRenamedIntoPlaceHasAnotherIdentityAndLeavesTheMappingWhole() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-mapped-swap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors"), next = dir.appendingPathComponent("next.safetensors")
        try Self.write(url)
        let file = try SafeTensorsFile(contentsOf: url)
        try Self.write(next, count: 100)
        #expect(rename(next.path, url.path) == 0)
        try file.checkStillWhole()   // the mapping keeps the old file
        let now = try #require(try SafeTensorsFile(contentsOf: url).identity)
        #expect(file.identity != now)
        #expect(file.identity?.inode != now.inode)
        // Reopening the same file gives the same identity.
        #expect(try SafeTensorsFile(contentsOf: url).identity == now)
    }
}
