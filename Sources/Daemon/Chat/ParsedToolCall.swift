/// One tool call read from the model's output.
struct ParsedToolCall: Sendable, Equatable {
    var name: String
    /// The arguments as JSON text (`json.dumps` of the object, as vLLM's parsers send them).
    var arguments: String
}
