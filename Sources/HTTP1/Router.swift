/// The function a route runs. It runs as a Swift task on its connection's
/// event loop (see `HTTPServer`), so it must not block a thread: blocking
/// work hops to another queue and is awaited, which is always fine.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponse) async throws -> Void

/// Method + path-pattern routing with 404 vs 405 (`Allow`) distinction.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: RoutePattern
        let maxBodyBytes: Int?
        let handler: HTTPHandler
    }

    enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allow: [HTTPMethod])
        case notFound
    }

    private(set) var routes: [Route] = []

    public init() {}

    mutating func add(_ method: HTTPMethod, _ pattern: String, maxBodyBytes: Int?, _ handler: @escaping HTTPHandler) {
        routes.append(Route(method: method, pattern: RoutePattern(pattern), maxBodyBytes: maxBodyBytes, handler: handler))
        routes.sort { $0.pattern.specificity > $1.pattern.specificity }  // stable: registration order within a tier
    }

    /// HEAD falls back to the GET route (RFC 9110 §9.3.2: same headers, no content).
    func match(_ method: HTTPMethod, _ segments: [String]) -> Match {
        var allowed: [HTTPMethod] = []
        var fallback: (Route, [String: String])?
        for route in routes {
            guard let params = route.pattern.match(segments) else { continue }
            if route.method == method { return .found(route, parameters: params) }
            if method == .HEAD, route.method == .GET, fallback == nil { fallback = (route, params) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if let (route, params) = fallback { return .found(route, parameters: params) }
        if allowed.isEmpty { return .notFound }
        if allowed.contains(.GET) && !allowed.contains(.HEAD) { allowed.append(.HEAD) }
        return .methodNotAllowed(allow: allowed)
    }

    /// The handler for `head`, with its route parameters and body limit. No
    /// route, a wrong method, or a declared body over the route's limit get a
    /// handler that throws the 404, 405 (with `Allow`) or 413 — so the refusal
    /// goes out before any body is read (and before `100 Continue`).
    /// `report` hears of each of those refusals (`ServerAnswer`).
    func decide(_ head: HTTPRequestHead, defaultBodyLimit: Int,
                report: (@Sendable (ServerAnswer) -> Void)? = nil) -> RouteDecision {
        /// A handler refusing with `error`, reported as `reason` first.
        func refusal(_ error: HTTPError, reason: String) -> HTTPHandler {
            { _, _ in
                report?(ServerAnswer(status: error.status.code, method: head.method.rawValue, path: head.path, reason: reason))
                throw error
            }
        }
        var decision: RouteDecision
        switch match(head.method, head.pathSegments) {
        case .found(let route, let params):
            decision = RouteDecision(handler: route.handler, parameters: params,
                                     bodyLimit: route.maxBodyBytes ?? defaultBodyLimit)
        case .methodNotAllowed(let allow):
            let allowText = allow.map(\.rawValue).joined(separator: ", ")
            let error = HTTPError(.methodNotAllowed, "\(head.method) is not allowed on \(head.path); allowed: \(allowText)",
                                  headers: ["Allow": allowText], type: "invalid_request_error")
            decision = RouteDecision(handler: refusal(error, reason: "methodNotAllowed"), parameters: [:], bodyLimit: defaultBodyLimit)
        case .notFound:
            // The target as sent: decoded, `/v1%2Fmodels` would read as a
            // route that exists.
            let error = HTTPError(.notFound, "no route for \(head.method) \(head.target.prefix(200))", type: "not_found")
            decision = RouteDecision(handler: refusal(error, reason: "noRoute"), parameters: [:], bodyLimit: defaultBodyLimit)
        }
        if case .contentLength(let n) = head.framing, n > decision.bodyLimit {
            let error = HTTPError(.contentTooLarge, "request body of \(n) bytes exceeds this endpoint's limit of \(decision.bodyLimit) bytes",
                                  type: "invalid_request_error")
            decision.handler = refusal(error, reason: "bodyTooLarge")
        }
        return decision
    }
}
