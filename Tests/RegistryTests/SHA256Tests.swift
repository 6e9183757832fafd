import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite struct SHA256Tests {
    // FIPS 180-4 examples / NIST CAVP "SHA256ShortMsg" style known answers.
    @Test func emptyMessageMatchesTheKnownDigest() {
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abcMatchesTheFIPSExample() {
        #expect(SHA256.hex(of: "abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessageMatchesTheFIPSExample() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hex(of: message.utf8) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func oneMillionAsMatchTheNISTVector() {
        var hasher = SHA256()
        let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(block) }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Messages of 55, 56, 63, 64 and 65 bytes straddle the padding's
    /// one-block / two-block boundary (FIPS 180-4 §5.1.1).
    @Test(arguments: [(55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
                      (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
                      (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
                      (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
                      (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0")])
    func paddingBoundariesMatchKnownDigests(length: Int, digest: String) {
        #expect(SHA256.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: length)) == digest)
    }

    @Test func streamingInOddChunksEqualsOneShot() throws {
        let data = try RegistryTestSupport.fixture("upper-all-r4").weights
        let oneShot = SHA256.hex(of: data)
        for chunk in [1, 7, 63, 64, 65, 4096, 100_000] {
            var hasher = SHA256()
            var offset = 0
            while offset < data.count {
                let end = min(offset + chunk, data.count)
                hasher.update(data[offset..<end])
                offset = end
            }
            #expect(hasher.finalizeHex() == oneShot, "chunk size \(chunk)")
        }
    }

    /// An independent implementation: coreutils' sha256sum on the fixture files.
    @Test(.enabled(if: RegistryTestSupport.executable("sha256sum") != nil))
    func fixtureFilesHashLikeSha256sum() throws {
        let tool = try #require(RegistryTestSupport.executable("sha256sum"))
        for fixture in try RegistryTestSupport.allFixtures() {
            let (status, output) = try RegistryTestSupport.run(tool, [fixture.weightsURL.path])
            #expect(status == 0)
            let expected = String(output.prefix(64))
            #expect(SHA256.hex(of: fixture.weights) == expected, "\(fixture.folder)")
        }
    }
}
