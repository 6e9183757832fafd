import OrderedJSON

extension Value {
    /// The value Python's `json.loads` gives for a JSON document: objects
    /// become dicts in document order (a repeated key keeps its first
    /// position and takes the last value, as a Python dict does), numbers
    /// stay int or float.
    init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .float(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(Value.init(json:)))
        case .object(let members):
            self = .dict(PyDict(members.map { (Value.string($0.key), Value(json: $0.value)) }))
        }
    }
}
