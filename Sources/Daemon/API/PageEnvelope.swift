/// OpenAI's paginated list shape: `{"object": "list", "data": [...],
/// "has_more": bool, "first_id": ..., "last_id": ...}`; the next page is
/// `?after=<last_id>`.
public struct PageEnvelope<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var object: String = "list"
    public var data: [Item]
    public var has_more: Bool
    public var first_id: String?
    public var last_id: String?

    public init(data: [Item], hasMore: Bool, id: (Item) -> String) {
        self.data = data
        has_more = hasMore
        first_id = data.first.map(id)
        last_id = data.last.map(id)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(object, forKey: .object)
        try c.encode(data, forKey: .data)
        try c.encode(has_more, forKey: .has_more)
        try c.encode(first_id, forKey: .first_id)
        try c.encode(last_id, forKey: .last_id)
    }
}
