/// A Python `dict`: insertion-ordered, keys compared as Python does
/// (`DictKey`). Chat templates read JSON objects whose member order matters
/// (`tojson`, `items()`), so order is kept exactly; assigning an existing
/// key keeps its position, as in Python.
///
/// Small dicts (most JSON objects) are searched linearly; larger ones get a
/// hash index.
struct PyDict: Sendable {
    private(set) var keys: [Value] = []
    private(set) var values: [Value] = []
    private var index: [DictKey: Int]? = nil

    private static let indexThreshold = 12

    init() {}

    /// A dict of these pairs in order; a repeated key keeps its first
    /// position and its last value. Keys must be hashable.
    init(_ pairs: [(Value, Value)]) {
        // JSON objects almost never repeat a key: build directly, and fall
        // back to insertion one by one only when a repeat is found.
        keys = pairs.map(\.0)
        values = pairs.map(\.1)
        var repeated = false
        if keys.count > PyDict.indexThreshold {
            var built: [DictKey: Int] = [:]
            for (i, k) in keys.enumerated() where built.updateValue(i, forKey: DictKey(unchecked: k)) != nil { repeated = true }
            index = repeated ? nil : built
        } else {
            outer: for i in keys.indices {
                for j in 0..<i where Value.keyEqual(keys[i], keys[j]) { repeated = true; break outer }
            }
        }
        if repeated {
            self = PyDict()
            for (k, v) in pairs { set(k, v) }
        }
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    /// `(key, value)` pairs in insertion order.
    var items: Zip2Sequence<[Value], [Value]> { zip(keys, values) }

    /// The value for a string key (the common case: JSON members, attributes).
    subscript(string key: String) -> Value? {
        if let index {
            return index[DictKey(unchecked: .string(key))].map { values[$0] }
        }
        for (i, k) in keys.enumerated() {
            if case .string(let s) = k, PyString.equal(s, key) { return values[i] }
        }
        return nil
    }

    /// The value for any key; nil when absent or unhashable.
    subscript(key: Value) -> Value? {
        if case .string(let s) = key { return self[string: s] }
        guard let k = try? DictKey(key) else { return nil }
        if let index { return index[k].map { values[$0] } }
        for (i, candidate) in keys.enumerated() where Value.keyEqual(candidate, key) { return values[i] }
        return nil
    }

    /// Inserts or replaces; a replaced key keeps its position. The key must be hashable.
    mutating func set(_ key: Value, _ value: Value) {
        if let i = position(of: key) {
            values[i] = value
            return
        }
        keys.append(key)
        values.append(value)
        if index != nil {
            index?[DictKey(unchecked: key)] = keys.count - 1
        } else if keys.count > PyDict.indexThreshold {
            var built: [DictKey: Int] = [:]
            for (i, k) in keys.enumerated() { built[DictKey(unchecked: k)] = i }
            index = built
        }
    }

    private func position(of key: Value) -> Int? {
        if let index { return index[DictKey(unchecked: key)] }
        return keys.firstIndex { Value.keyEqual($0, key) }
    }
}

extension DictKey {
    /// For keys already known to be hashable (checked when they entered a dict).
    init(unchecked value: Value) { self = DictKey(storage: value) }
}
