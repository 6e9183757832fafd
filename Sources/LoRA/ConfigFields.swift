import OrderedJSON

/// Typed access to the top-level fields of the config object.
struct ConfigFields {
    let root: JSONValue
    init(_ root: JSONValue) { self.root = root }

    subscript(_ key: String) -> JSONValue? { root[key] }

    func string(_ key: String) throws -> String? {
        switch root[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let v?: throw AdapterError.invalidField(field: key, value: v.brief, expected: "a string")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch root[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let v?: throw AdapterError.invalidField(field: key, value: v.brief, expected: "true or false")
        }
    }

    func positiveInt(_ key: String) throws -> Int? {
        switch root[key] {
        case nil, .null?: return nil
        case let v?:
            // An integral float (`8.0`) is accepted as rank 8: PEFT does not type-check LoraConfig fields.
            if let n = v.doubleValue, n == n.rounded(), n >= 1, n <= Double(LoRAConfig.maxRank) { return Int(n) }
            throw AdapterError.invalidField(field: key, value: v.brief, expected: "an integer in 1...\(LoRAConfig.maxRank)")
        }
    }

    func finiteNumber(_ key: String) throws -> Double? {
        switch root[key] {
        case nil, .null?: return nil
        case let v?:
            if let n = v.doubleValue, n.isFinite { return n }
            throw AdapterError.invalidField(field: key, value: v.brief, expected: "a finite number")
        }
    }

    func object(_ key: String) throws -> JSONValue.Members {
        switch root[key] {
        case nil, .null?: return []
        case .object(let members)?: return members
        case let v?: throw AdapterError.invalidField(field: key, value: v.brief, expected: "an object")
        }
    }

    static func strings(_ items: [JSONValue], field: String) throws -> [String] {
        try items.map {
            guard case .string(let s) = $0 else {
                throw AdapterError.invalidField(field: field, value: $0.brief, expected: "a string")
            }
            return s
        }
    }

    /// A layer index: an integral number in 0..<1e9 (`8.0` counts, as in Python).
    static func layerIndex(_ value: JSONValue) -> Int? {
        guard let n = value.doubleValue, n == n.rounded(), n >= 0, n < 1e9 else { return nil }
        return Int(n)
    }
}
