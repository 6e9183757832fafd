/// `{"object": "list", "data": [...]}`, the OpenAI list envelope.
public struct ListEnvelope<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var object: String = "list"
    public var data: [Item]
    public init(data: [Item]) { self.data = data }
}
