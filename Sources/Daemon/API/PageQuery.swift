import HTTP1

/// `?limit=N&after=ID` of a paginated listing (OpenAI's cursor style: the
/// items after the one named `after`, at most `limit` of them).
struct PageQuery: Sendable {
    /// Largest `limit` accepted.
    static let maxLimit = 100_000
    /// What "no limit" asks of the registry.
    static let unlimited = Int(Int32.max)

    /// The id the page starts after, or nil for the first page.
    let after: String?
    /// At most this many items, or nil for all of them.
    let limit: Int?

    init(after: String? = nil, limit: Int? = nil) {
        self.after = after
        self.limit = limit
    }

    /// - Throws: 400 naming the parameter when `limit` is not an integer in
    ///   1...`maxLimit` or `after` is empty or longer than any id.
    init(_ request: HTTPRequest) throws {
        if let text = request.query("limit") {
            guard let n = Int(text), (1...Self.maxLimit).contains(n) else {
                throw APIError.badRequest("query parameter `limit` must be an integer from 1 to \(Self.maxLimit), not '\(text)'")
            }
            limit = n
        } else {
            limit = nil
        }
        if let text = request.query("after") {
            guard (1...256).contains(text.utf8.count) else {
                throw APIError.badRequest("query parameter `after` must be an id of 1 to 256 bytes")
            }
            after = text
        } else {
            after = nil
        }
    }
}
