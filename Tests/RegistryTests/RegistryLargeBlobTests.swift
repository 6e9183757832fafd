import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite struct RegistryLargeBlobTests {
    static let size = 64 << 20

    /// A 64 MB file streamed in (file source → zeroblob → incremental blob
    /// writes) and back out in 1 MB chunks: every chunk equals the file's
    /// bytes at that offset, and the recorded sha256 equals coreutils'
    /// `sha256sum` of the file (our own SHA256 if the tool is missing).
    @Test func sixtyFourMegabytesStreamInAndOutInChunks() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-large")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("big.safetensors")
        try Self.writeGenerated(to: file, seed: 0x10AD)

        let registry = try AdapterRegistry(url: dir.appendingPathComponent("adapters.sqlite3"))
        let record = try registry.insert(NewAdapter(name: "large", configJSON: "{}"), weights: try .file(file))
        #expect(record.byteSize == Int64(Self.size))

        let reader = try FileHandle(forReadingFrom: file)
        defer { try? reader.close() }
        var offset = 0
        var mismatchedChunks: [Int] = []
        var largestChunk = 0
        try registry.readWeights(named: "large", chunkSize: 1 << 20) { chunk in
            let want = (try? reader.read(upToCount: chunk.count)) ?? Data()
            let same = want.count == chunk.count
                && want.withUnsafeBytes { memcmp($0.baseAddress!, chunk.baseAddress!, chunk.count) } == 0
            if !same { mismatchedChunks.append(offset) }
            largestChunk = max(largestChunk, chunk.count)
            offset += chunk.count
        }
        #expect(offset == Self.size)
        #expect(mismatchedChunks.isEmpty)
        #expect(largestChunk == 1 << 20)

        let expected: String
        if let tool = RegistryTestSupport.executable("sha256sum") {
            let (status, output) = try RegistryTestSupport.run(tool, [file.path])
            #expect(status == 0)
            expected = String(output.prefix(64))
        } else {
            var hasher = SHA256()
            hasher.update(try Data(contentsOf: file))
            expected = hasher.finalizeHex()
        }
        #expect(record.sha256 == expected)
        #expect(try registry.integrityCheck() == "ok")
    }

    private static func writeGenerated(to url: URL, seed: UInt64) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let generator = RegistryTestSupport.ByteGenerator(seed: seed)
        var chunk = Data(count: 4 << 20)
        var offset = 0
        while offset < size {
            chunk.withUnsafeMutableBytes { generator.fill($0, at: Int64(offset)) }
            try handle.write(contentsOf: chunk)
            offset += chunk.count
        }
    }
}
