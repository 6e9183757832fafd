/// A conversation that could not be rendered into a prompt (a 400: the
/// template refused the messages, e.g. roles that do not alternate).
struct ChatPromptError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
