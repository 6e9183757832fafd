/// A path pattern such as `/adapters/:name/merge`: literal segments,
/// `:parameter` segments matching one segment, and a final `*` matching the rest.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
        case rest
    }

    let segments: [Segment]
    public let description: String

    public init(_ text: String) {
        description = text
        let parts = text.split(separator: "/", omittingEmptySubsequences: true)
        segments = parts.enumerated().map { i, p in
            if p.hasPrefix(":") { return .parameter(String(p.dropFirst())) }
            if p == "*" && i == parts.count - 1 { return .rest }
            return .literal(String(p))
        }
    }

    /// Parameters when `path` (decoded segments) matches, else nil.
    func match(_ path: [String]) -> [String: String]? {
        var params: [String: String] = [:]
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .rest:
                params["*"] = path[min(i, path.count)...].joined(separator: "/")
                return params
            case .literal(let l):
                guard i < path.count, path[i] == l else { return nil }
            case .parameter(let name):
                guard i < path.count else { return nil }
                params[name] = path[i]
            }
        }
        return path.count == segments.count ? params : nil
    }

    /// Literal segments win over parameters (`/adapters/merged` before `/adapters/:name`).
    var specificity: Int {
        segments.reduce(0) { n, s in if case .literal = s { n + 1 } else { n } }
    }
}
