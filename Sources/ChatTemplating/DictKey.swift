/// A dict key with Python's hashing rules: `1`, `1.0` and `True` are the
/// same key, strings compare by code points (byte-exact UTF-8, not Swift's
/// canonical equivalence), tuples hash by their items. Lists, dicts and the
/// other mutable or opaque values are unhashable (`TypeError` in Python).
struct DictKey: Hashable, Sendable {
    let value: Value

    init(_ value: Value) throws {
        guard DictKey.isHashable(value) else {
            throw TemplateError(.type, "unhashable type: '\(value.typeName)'")
        }
        self.value = value
    }

    init(storage value: Value) { self.value = value }

    private static func isHashable(_ v: Value) -> Bool {
        switch v {
        case .none, .bool, .int, .float, .string, .undefined: return true
        case .tuple(let items): return items.allSatisfy(isHashable)
        default: return false
        }
    }

    static func == (a: DictKey, b: DictKey) -> Bool { Value.keyEqual(a.value, b.value) }

    func hash(into h: inout Hasher) { Value.hashKey(value, into: &h) }
}

extension Value {
    /// Equality of two hashable values as Python dict keys and sets see it.
    static func keyEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return PyString.equal(x, y)
        case let (.tuple(x), .tuple(y)): return x.count == y.count && zip(x, y).allSatisfy { keyEqual($0, $1) }
        case (.none, .none), (.undefined, .undefined): return true
        default:
            if let x = a.numericValue, let y = b.numericValue { return x == y }
            return false
        }
    }

    static func hashKey(_ v: Value, into h: inout Hasher) {
        switch v {
        case .string(let s): h.combine(0 as UInt8); PyString.hash(s, into: &h)
        case .tuple(let items): h.combine(1 as UInt8); h.combine(items.count); for i in items { hashKey(i, into: &h) }
        case .none: h.combine(2 as UInt8)
        case .undefined: h.combine(3 as UInt8)
        default:
            // Equal numbers hash alike whatever their type (1 == 1.0 == True).
            h.combine(4 as UInt8)
            if let n = v.numericValue { n.hash(into: &h) }
        }
    }
}
