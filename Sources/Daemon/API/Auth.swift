import Foundation
import HTTP1
import Synchronization

/// Bearer-token checks (RFC 6750 §2.1). Mutating endpoints need the admin
/// token when one is configured; inference endpoints need the inference token
/// when one is configured, and are open otherwise; the read-only listings of
/// what is stored and merged take either token (`requireReader`: an admin
/// must be able to read back what it uploaded). Neither is asked of a
/// request that came in on a `trusted_listen` listener (loopback only).
///
/// A class so that SIGHUP can swap the tokens (`replace`) under every handler
/// holding it; each check reads one consistent snapshot.
public final class Auth: Sendable {
    private let tokens: Mutex<(admin: BearerToken?, inference: BearerToken?)>

    /// Bound addresses of the `trusted_listen` listeners: a request that
    /// came in on one needs no token.
    private let trusted = Mutex<Set<SocketAddress>>([])

    public init(admin: BearerToken?, inference: BearerToken?) {
        tokens = Mutex((admin, inference))
    }

    /// Requests arriving on these listeners (bound addresses, as
    /// `HTTPServer.listen` returns them) skip every token check.
    public func trust(listeners: [SocketAddress]) {
        trusted.withLock { $0.formUnion(listeners) }
    }

    /// The admin token in force (nil = mutating endpoints are open).
    public var admin: BearerToken? { tokens.withLock { $0.admin } }
    /// The inference token in force (nil = inference is open).
    public var inference: BearerToken? { tokens.withLock { $0.inference } }

    /// Puts new tokens in force for every request checked from now on
    /// (requests already past their check are not affected).
    public func replace(admin: BearerToken?, inference: BearerToken?) {
        tokens.withLock { $0 = (admin, inference) }
    }

    /// Throws 401 without credentials or with a token that is neither
    /// (RFC 6750 §3.1 `invalid_token`; OpenAI and vLLM answer an unknown key
    /// 401 too), 403 with the inference token (`insufficient_scope`).
    public func requireAdmin(_ request: HTTPRequest) throws {
        let (admin, inference) = tokens.withLock { $0 }
        try check(request, against: admin, other: inference, realm: "admin", otherRealm: "inference")
    }

    /// As `requireAdmin`, for the inference token; 403 with the admin token.
    public func requireInference(_ request: HTTPRequest) throws {
        let (admin, inference) = tokens.withLock { $0 }
        try check(request, against: inference, other: admin, realm: "inference", otherRealm: "admin")
    }

    /// The read-only listings (`GET /adapters[/NAME]`, `GET /merged`,
    /// `/v1/models`): as open as inference, and when the inference token is
    /// required, the admin token passes too (it can change what they list).
    public func requireReader(_ request: HTTPRequest) throws {
        let (admin, inference) = tokens.withLock { $0 }
        if let admin, inference != nil, let presented = Self.presentedBearer(request), admin.matches(presented) { return }
        try check(request, against: inference, other: nil, realm: "inference", otherRealm: "admin")
    }

    /// The token of the request's one `Authorization: Bearer` field, if it
    /// has exactly that (everything else is `check`'s to refuse).
    private static func presentedBearer(_ request: HTTPRequest) -> String? {
        let fields = request.headers.values("Authorization")
        guard fields.count == 1, let header = fields.first else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: [" ", "\t"])
    }

    private func check(_ request: HTTPRequest, against token: BearerToken?, other: BearerToken?, realm: String,
                       otherRealm: String) throws {
        guard let token, !trusted.withLock({ $0.contains(request.listenerAddress) }) else { return }
        let challenge: HTTPHeaders = ["WWW-Authenticate": "Bearer realm=\"lorad-\(realm)\""]
        let fields = request.headers.values("Authorization")
        guard !fields.isEmpty else {
            throw HTTPError(.unauthorized, "this endpoint requires `Authorization: Bearer <\(realm) token>`",
                            headers: challenge, type: "authentication_error")
        }
        // Authorization holds one set of credentials (RFC 9110 §11.6.2):
        // with two, which one a proxy in front checked is anyone's guess.
        guard fields.count == 1 else {
            throw HTTPError(.badRequest, "the request has \(fields.count) Authorization header fields; send one",
                            type: "invalid_request_error")
        }
        // The scheme is case-insensitive (RFC 9110 §11.1).
        guard let presented = Self.presentedBearer(request) else {
            throw HTTPError(.unauthorized, "the Authorization header must use the Bearer scheme",
                            headers: challenge, type: "authentication_error")
        }
        // BearerToken.matches compares in constant time.
        guard token.matches(presented) else {
            if other?.matches(presented) == true {
                throw HTTPError(.forbidden, "the \(otherRealm) token does not grant this endpoint; it needs the \(realm) token",
                                headers: ["WWW-Authenticate": "Bearer realm=\"lorad-\(realm)\", error=\"insufficient_scope\""],
                                type: "permission_error")
            }
            throw HTTPError(.unauthorized, "the bearer token is not valid (this endpoint needs the \(realm) token)",
                            headers: ["WWW-Authenticate": "Bearer realm=\"lorad-\(realm)\", error=\"invalid_token\""],
                            type: "authentication_error")
        }
    }
}
