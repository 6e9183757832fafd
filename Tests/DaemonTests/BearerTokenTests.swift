import Testing
@testable import Daemon

/// `BearerToken.matches` compares the whole presented value: a token with
/// anything appended or cut off never matches, whatever the length difference.
@Suite struct BearerTokenTests {
    let secret = "s3cret-admin-token"

    @Test(arguments: [1, 255, 256, 512, 65536])
    func theTokenWithExtraCharactersAppendedIsRefused(extra: Int) throws {
        let token = try #require(BearerToken(secret))
        #expect(!token.matches(secret + String(repeating: "Z", count: extra)))
        #expect(!token.matches(secret + String(repeating: "\u{0}", count: extra)))
    }

    @Test func prefixesAndTheEmptyStringAreRefused() throws {
        let token = try #require(BearerToken(secret))
        #expect(!token.matches(""))
        for n in 1..<secret.count { #expect(!token.matches(String(secret.prefix(n)))) }
    }

    @Test func onlyTheExactTokenMatches() throws {
        let token = try #require(BearerToken(secret))
        #expect(token.matches(secret))
        #expect(!token.matches("S3cret-admin-token"))
        #expect(!token.matches(String(secret.dropLast()) + "m"))
    }
}
