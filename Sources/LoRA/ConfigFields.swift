/// Typed access to the top-level fields of the config object.
struct ConfigFields {
    let root: OrderedJSON
    init(_ root: OrderedJSON) { self.root = root }

    subscript(_ key: String) -> OrderedJSON? { root[key] }

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
        case .number(let n)? where n == n.rounded() && n >= 1 && n <= Double(LoRAConfig.maxRank): return Int(n)
        case let v?: throw AdapterError.invalidField(field: key, value: v.brief, expected: "a positive integer")
        }
    }

    func finiteNumber(_ key: String) throws -> Double? {
        switch root[key] {
        case nil, .null?: return nil
        case .number(let n)? where n.isFinite: return n
        case let v?: throw AdapterError.invalidField(field: key, value: v.brief, expected: "a finite number")
        }
    }

    func object(_ key: String) throws -> [(key: String, value: OrderedJSON)] {
        switch root[key] {
        case nil, .null?: return []
        case .object(let members)?: return members
        case let v?: throw AdapterError.invalidField(field: key, value: v.brief, expected: "an object")
        }
    }

    static func strings(_ items: [OrderedJSON], field: String) throws -> [String] {
        try items.map {
            guard case .string(let s) = $0 else {
                throw AdapterError.invalidField(field: field, value: $0.brief, expected: "a string")
            }
            return s
        }
    }
}
