import Foundation
import Testing
import TestSupport

/// Bearer tokens (RFC 6750): 401 without, 403 wrong, success with the right one,
/// on every mutating endpoint; inference open unless its own token is set.
@Suite struct AuthEndToEndTests {
    static func tokenFiles(in dir: URL) throws -> (admin: URL, inference: URL) {
        let admin = dir.appendingPathComponent("admin.token"), inference = dir.appendingPathComponent("inference.token")
        try Data("s3cret-admin\n".utf8).write(to: admin)
        try Data("s3cret-infer\n".utf8).write(to: inference)
        return (admin, inference)
    }

    static func upload(_ daemon: LoradProcess, _ headers: [String]) throws -> Curl.Response {
        try Curl.upload(daemon.baseURL, name: "guarded", config: AdapterFiles.fixtureConfig,
                        weights: AdapterFiles.fixtureWeights, headers: headers)
    }

    @Test func mutatingEndpointsNeedTheAdminToken() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-auth")
        let tokens = try Self.tokenFiles(in: dir)
        let daemon = try LoradProcess(directory: dir, arguments: ["--admin-token-file", tokens.admin.path])
        defer { daemon.cleanUp() }

        let missing = try Self.upload(daemon, [])
        #expect(missing.status == 401)
        #expect(missing.errorCode == 401)
        // A token that is not the admin token is invalid (RFC 6750 §3.1), as an
        // unknown API key is to OpenAI: 401, which the SDK reads as AuthenticationError.
        let wrong = try Self.upload(daemon, ["Authorization: Bearer s3cret-admiN"])
        #expect(wrong.status == 401)
        #expect(wrong.errorCode == 401)
        let body = try #require(try wrong.json()["error"] as? [String: Any])
        #expect(Set(body.keys) == ["message", "type", "code", "param"] && body["param"] is NSNull, "\(body)")
        let notBearer = try Self.upload(daemon, ["Authorization: Basic czNjcmV0LWFkbWlu"])
        #expect(notBearer.status == 401)
        #expect(try ServingEndToEndTests.listing(daemon).isEmpty, "refused uploads store nothing")
        #expect(try Self.upload(daemon, ["Authorization: Bearer s3cret-admin"]).status == 201)

        #expect(try Curl.delete(daemon.baseURL + "/adapters/guarded").status == 401)
        #expect(try Curl.delete(daemon.baseURL + "/adapters/guarded", headers: ["Authorization: Bearer nope"]).status == 401)
        #expect(try ServingEndToEndTests.listing(daemon).keys.contains("guarded"))

        // Inference stays open without an inference token.
        let open = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "model": "guarded"])
        #expect(open.status == 200)
        #expect(try Curl.get(daemon.baseURL + "/v1/models").status == 200)

        #expect(try Curl.delete(daemon.baseURL + "/adapters/guarded", headers: ["Authorization: bearer s3cret-admin"]).status == 200)
        #expect(try ServingEndToEndTests.listing(daemon).isEmpty)
    }

    @Test func anInferenceTokenGuardsInference() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-auth")
        let tokens = try Self.tokenFiles(in: dir)
        let daemon = try LoradProcess(directory: dir, arguments: ["--admin-token-file", tokens.admin.path,
                                                                  "--inference-token-file", tokens.inference.path])
        defer { daemon.cleanUp() }
        let url = daemon.baseURL + "/v1/completions"
        let body: [String: Any] = ["prompt": "x", "max_tokens": 2]
        #expect(try Curl.postJSON(url, body).status == 401)
        #expect(try Curl.postJSON(url, body, headers: ["Authorization: Bearer s3cret-admin"]).status == 403)
        #expect(try Curl.postJSON(url, body, headers: ["Authorization: Bearer s3cret-infer"]).status == 200)
        #expect(try Curl.get(daemon.baseURL + "/v1/models").status == 401)
        // The admin token is still what uploads need; health is never guarded.
        #expect(try Self.upload(daemon, ["Authorization: Bearer s3cret-infer"]).status == 403)
        #expect(try Curl.get(daemon.baseURL + "/health").status == 200)
        // Two Authorization fields are refused whichever comes first: a proxy
        // in front may have checked the other one.
        for pair in [["s3cret-infer", "wrong"], ["wrong", "s3cret-infer"], ["s3cret-infer", "s3cret-infer"]] {
            let r = try Curl.postJSON(url, body, headers: pair.map { "Authorization: Bearer \($0)" })
            #expect(r.status == 400, "\(pair): \(r.status) \(r.text)")
        }
    }

    /// The listings of what is stored and merged take either token: the
    /// admin must be able to read back what it uploaded and merged. Compute
    /// (completions, tokenize) stays the inference token's, changes the admin's.
    @Test func eitherTokenReadsTheListingsOfAdaptersModelsAndTheMerge() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-auth")
        let tokens = try Self.tokenFiles(in: dir)
        let daemon = try LoradProcess(directory: dir, arguments: ["--admin-token-file", tokens.admin.path,
                                                                  "--inference-token-file", tokens.inference.path])
        defer { daemon.cleanUp() }
        #expect(try Self.upload(daemon, ["Authorization: Bearer s3cret-admin"]).status == 201)
        for path in ["/adapters", "/adapters/guarded", "/merged", "/v1/models", "/v1/models/guarded"] {
            for token in ["s3cret-admin", "s3cret-infer"] {
                let r = try Curl.get(daemon.baseURL + path, headers: ["Authorization: Bearer \(token)"])
                #expect(r.status == 200, "\(path) with \(token): \(r.status) \(r.text)")
            }
            #expect(try Curl.get(daemon.baseURL + path).status == 401, "\(path)")
            #expect(try Curl.get(daemon.baseURL + path, headers: ["Authorization: Bearer wrong"]).status == 401, "\(path)")
        }
        let tokenize = try Curl.postJSON(daemon.baseURL + "/tokenize", ["prompt": "x"], headers: ["Authorization: Bearer s3cret-admin"])
        #expect(tokenize.status == 403)
    }
}
