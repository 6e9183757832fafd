/// A response the server gave by itself, no route's handler involved: to a
/// request it could not parse or whose head did not arrive in time, one no
/// route or method matches, or one whose declared body passes its route's
/// limit. `HTTPServer`'s `onServerAnswer` hears of each, so the application
/// can log what its routes never see (a client sending malformed requests,
/// or probing for paths, would otherwise leave no trace).
public struct ServerAnswer: Sendable, Equatable {
    public let status: Int
    /// The request's method, when its head was parsed (a routing refusal);
    /// nil for a parse error or a header timeout.
    public let method: String?
    /// The request's path without the query, as `method`.
    public let path: String?
    /// Why, as a fixed word: a parse error's kind (`badHeader`,
    /// `missingHost`, …), `headerTimeout`, `noRoute`, `methodNotAllowed` or
    /// `bodyTooLarge` — never a value the client sent.
    public let reason: String
}
