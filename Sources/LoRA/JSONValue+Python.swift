import OrderedJSON

/// How adapter_config.json values read in PEFT's Python, and how they are
/// quoted in `AdapterError` messages.
extension JSONValue {
    /// Python truthiness of the decoded value (`bool(x)`): null, false, 0, "", [] and {} are falsy.
    var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .integer(let n): return n != 0
        case .float(let n): return n != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }
}
