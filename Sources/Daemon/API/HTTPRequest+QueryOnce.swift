import HTTP1

extension HTTPRequest {
    /// Refuses a query that gives one parameter twice (`?replace=true&replace=false`):
    /// no endpoint of the API takes a list in its query, and which of two
    /// values counts differs between servers (first wins here, last in
    /// FastAPI) — for a flag such as `replace` the guess would be destructive.
    func requireEachQueryParameterOnce() throws {
        var seen = Set<String>()
        for item in queryItems where !seen.insert(item.name).inserted {
            let count = queryItems.filter { $0.name == item.name }.count
            throw APIError.badRequest("the query gives `\(item.name)` \(count) times; give it once")
        }
    }
}
