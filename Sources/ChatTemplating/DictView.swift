/// `dict.keys()`, `dict.values()` or `dict.items()` (Python's dict views).
struct DictView: Sendable {
    enum Kind: Sendable { case keys, values, items }
    let kind: Kind
    let dict: PyDict

    var typeName: String {
        switch kind {
        case .keys: return "dict_keys"
        case .values: return "dict_values"
        case .items: return "dict_items"
        }
    }

    /// What iterating the view yields: keys, values, or `(key, value)` tuples.
    var elements: [Value] {
        switch kind {
        case .keys: return dict.keys
        case .values: return dict.values
        case .items: return dict.items.map { .tuple([$0.0, $0.1]) }
        }
    }
}
