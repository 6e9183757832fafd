import Testing
import Foundation
import TestSupport
@testable import Daemon

@Suite struct TokenFileTests {
    @Test func tokenFilesAreReadAndTrimmed() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-token")
        let admin = dir.appendingPathComponent("admin.token")
        try Data("  s3cret-admin\n".utf8).write(to: admin)
        var c = Configuration()
        c.adminTokenFile = admin.path
        let tokens = try c.readTokens()
        #expect(tokens.admin?.matches("s3cret-admin") == true)
        #expect(tokens.admin?.matches("s3cret-admin ") == false)
        #expect(tokens.admin?.matches("s3cret") == false)
        #expect(tokens.admin?.matches("") == false)
        #expect(tokens.inference == nil)
    }

    @Test func anEmptyOrMissingTokenFileIsAnError() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-token")
        let empty = dir.appendingPathComponent("empty.token")
        try Data(" \n\t\n".utf8).write(to: empty)
        var c = Configuration()
        c.inferenceTokenFile = empty.path
        #expect(throws: ConfigError.emptyTokenFile(key: "inference_token_file", path: empty.path)) { try c.readTokens() }
        let missing = dir.appendingPathComponent("missing.token").path
        c.inferenceTokenFile = missing
        #expect(throws: ConfigError.unreadableTokenFile(key: "inference_token_file", path: missing, reason: "no such file")) {
            try c.readTokens()
        }
    }

    /// A client cannot put a control character in a header (RFC 9110 §5.5;
    /// the parser answers 400): such a token would lock every client out.
    @Test func aTokenNoClientCanSendIsRefusedNamingTheFile() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-token")
        for (i, content) in ["tok\u{0}", "abc\ndef\n", "a\u{7F}b", "x\ry"].enumerated() {
            let file = dir.appendingPathComponent("bad-\(i).token")
            try Data(content.utf8).write(to: file)
            var c = Configuration()
            c.adminTokenFile = file.path
            #expect(throws: ConfigError.self) { try c.readTokens() }
            do { _ = try c.readTokens() } catch {
                guard case .unusableToken(let key, let path, _) = error else { Issue.record("\(error)"); continue }
                #expect(key == "admin_token_file" && path == file.path)
                #expect(error.description.contains("control character") && !error.description.contains(content))
            }
        }
        // Inner spaces and tabs can be sent, as can any UTF-8 above them.
        for content in ["a b", "a\tb", "tök-🙂"] {
            let file = dir.appendingPathComponent("good.token")
            try Data((content + "\n").utf8).write(to: file)
            var c = Configuration()
            c.adminTokenFile = file.path
            #expect(try c.readTokens().admin?.matches(content) == true)
        }
    }

    @Test func tokensNeverAppearInDescriptions() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-token")
        let file = dir.appendingPathComponent("admin.token")
        try Data("hunter2-very-secret".utf8).write(to: file)
        var c = Configuration()
        c.adminTokenFile = file.path
        let tokens = try c.readTokens()
        let texts = ["\(tokens)", String(describing: tokens.admin), String(reflecting: tokens.admin), c.description]
        for text in texts {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect(c.description.contains(file.path))
    }

    @Test func checkConfigReportsEveryMissingResource() throws {
        var c = Configuration()
        c.model = "/nonexistent/model"
        c.registry = "/nonexistent/dir/registry.sqlite"
        c.adminTokenFile = "/nonexistent/admin.token"
        let problems = c.resourceProblems()
        #expect(problems.count == 3)
        var good = Configuration()
        good.model = Fixtures.tinyLlama.path
        good.registry = FileManager.default.temporaryDirectory.appendingPathComponent("r.sqlite").path
        #expect(good.resourceProblems().isEmpty)
    }
}
