/// The function a route runs. It runs on a Swift task, never on the I/O
/// queues, so it may take as long as inference takes.
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
}
