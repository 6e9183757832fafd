import OrderedJSON

/// config.json conventions on top of `JSONNode`.
extension JSONNode {
    /// Whether `key` is present with an explicit JSON null (absent is not null:
    /// config classes tell "use the default" from "derive it" this way).
    func isNull(_ key: String) -> Bool { value[key]?.isNull == true }

    /// A required positive dimension (`hidden_size`, …), bounded so products
    /// of dimensions cannot overflow: 2^24 is far above any real model's
    /// (hidden sizes ≤ 16,384, vocabularies ≤ 262,144).
    func dimension(_ key: String) throws -> Int {
        guard let node = optional(key) else { throw LlamaError.missingKey(path(of: key)) }
        return try node.int(in: 1...Self.maxDimension)
    }

    /// An optional dimension, bounded like `dimension`.
    func optionalDimension(_ key: String) throws -> Int? { try int(key, in: 1...Self.maxDimension) }

    static let maxDimension = 1 << 24

    /// A list of strings (`architectures`, `layer_types`).
    func stringList(_ key: String) throws -> [String]? {
        try optional(key)?.array().map { try $0.string() }
    }

    /// An integer or a list of integers (`eos_token_id: 2` or `[128001, 128009]`).
    func intOrList(_ key: String) throws -> [Int]? {
        guard let node = optional(key) else { return nil }
        if case .array = node.value { return try node.array().map { try $0.int() } }
        return [try node.int()]
    }
}

extension LlamaError {
    /// A config field of the wrong type or range, named by its path.
    init(_ error: JSONAccessError) {
        self = error.expected == "present" ? .missingKey(error.path)
            : .invalidValue(key: error.path, reason: "must be \(error.expected), got \(error.found)")
    }
}
