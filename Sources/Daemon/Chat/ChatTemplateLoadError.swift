import ChatTemplating

/// A chat template that could not be read or parsed at start-up or upload,
/// naming the file (and key) it came from.
public struct ChatTemplateLoadError: Error, Sendable, CustomStringConvertible {
    /// The file, with the key inside it where relevant (`tokenizer_config.json chat_template[1]`).
    public let origin: String
    public let reason: String

    public init(origin: String, reason: String) {
        self.origin = origin
        self.reason = reason
    }

    public var description: String { "chat template from \(origin): \(reason)" }
}
