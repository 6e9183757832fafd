import Foundation
import HTTP1

/// Bearer-token checks (RFC 6750 §2.1). Mutating endpoints need the admin
/// token when one is configured; inference endpoints need the inference token
/// when one is configured, and are open otherwise.
public struct Auth: Sendable {
    public let admin: BearerToken?
    public let inference: BearerToken?

    public init(admin: BearerToken?, inference: BearerToken?) {
        self.admin = admin
        self.inference = inference
    }

    /// Throws 401 without credentials, 403 with wrong ones.
    public func requireAdmin(_ request: HTTPRequest) throws {
        try check(request, against: admin, realm: "admin")
    }

    public func requireInference(_ request: HTTPRequest) throws {
        try check(request, against: inference, realm: "inference")
    }

    private func check(_ request: HTTPRequest, against token: BearerToken?, realm: String) throws {
        guard let token else { return }
        let challenge: HTTPHeaders = ["WWW-Authenticate": "Bearer realm=\"lorad-\(realm)\""]
        guard let header = request.headers["Authorization"] else {
            throw HTTPError(.unauthorized, "this endpoint requires `Authorization: Bearer <\(realm) token>`",
                            headers: challenge, type: "authentication_error")
        }
        // The scheme is case-insensitive (RFC 9110 §11.1).
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HTTPError(.unauthorized, "the Authorization header must use the Bearer scheme",
                            headers: challenge, type: "authentication_error")
        }
        // BearerToken.matches compares in constant time.
        guard token.matches(parts[1].trimmingCharacters(in: [" ", "\t"])) else {
            throw HTTPError(.forbidden, "the bearer token is not valid for this endpoint", type: "permission_error")
        }
    }
}
