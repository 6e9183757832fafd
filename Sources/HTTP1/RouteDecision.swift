/// The router's answer for one request head: the handler to run, the
/// route's parameters, and the most body bytes the request may carry.
struct RouteDecision: Sendable {
    var handler: HTTPHandler
    let parameters: [String: String]
    let bodyLimit: Int
}
