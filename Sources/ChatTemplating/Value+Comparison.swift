/// Python's `==`, `<` and `in` on template values.
extension Value {
    /// `a == b`: numbers by value across int/float/bool, strings by code
    /// points, lists and tuples item by item (a list never equals a tuple),
    /// dicts by content regardless of order, objects by identity. Two
    /// Undefined values are equal (`Undefined.__eq__`).
    static func pyEqual(_ a: Value, _ b: Value, depth: Int = 0) throws -> Bool {
        guard depth < Value.maxNesting else { throw TemplateError.tooDeep() }
        switch (a, b) {
        case let (.string(x), .string(y)): return PyString.equal(x, y)
        case (.none, .none), (.undefined, .undefined): return true
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where !(try pyEqual(p, q, depth: depth + 1)) { return false }
            return true
        case let (.dict(x), .dict(y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.items {
                guard let w = y[k], try pyEqual(v, w, depth: depth + 1) else { return false }
            }
            return true
        case let (.namespace(x), .namespace(y)): return x === y
        case let (.macro(x), .macro(y)): return x === y
        case let (.loop(x), .loop(y)): return x === y
        case let (.builtin(x), .builtin(y)): return x == y
        case let (.iterator(x), .iterator(y)): return x === y
        case let (.view(x), .view(y)):
            guard x.kind == y.kind else { return false }
            if x.kind == .values { return false }  // dict_values compare by identity in Python
            return try pyEqual(.list(x.elements), .list(y.elements), depth: depth + 1) || x.elements.count == y.elements.count && (try x.elements.allSatisfy { try pyContains(.view(y), $0) })
        default:
            if let x = a.numericValue, let y = b.numericValue { return x == y }
            return false
        }
    }

    /// Ordering for `<`, `<=`, `>`, `>=`, `sort`, `min`, `max`: numbers,
    /// strings by code points, lists/tuples lexicographically. Anything else
    /// is a `TypeError`, as in Python 3; using Undefined is an `UndefinedError`.
    /// Nil when the two are unordered (a NaN is involved): every comparison is then false.
    static func pyCompare(_ a: Value, _ b: Value, op: String = "<", depth: Int = 0) throws -> Int? {
        guard depth < Value.maxNesting else { throw TemplateError.tooDeep() }
        switch (a, b) {
        case (.undefined(let u), _), (_, .undefined(let u)): throw u.error
        case let (.string(x), .string(y)): return PyString.compare(x, y)
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            for (p, q) in zip(x, y) where !(try pyEqual(p, q, depth: depth + 1)) {
                return try pyCompare(p, q, op: op, depth: depth + 1)
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            if let x = a.numericValue, let y = b.numericValue { return Numeric.order(x, y) }
            throw TemplateError(.type, "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// `needle in haystack`.
    static func pyContains(_ haystack: Value, _ needle: Value) throws -> Bool {
        switch haystack {
        case .string(let s):
            guard case .string(let n) = needle else {
                throw TemplateError(.type, "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return PyString.contains(s, n)
        case .list(let items), .tuple(let items):
            for item in items where try pyEqual(item, needle) { return true }
            return false
        case .dict(let d):
            _ = try DictKey(needle)
            return d[needle] != nil
        case .undefined:
            return false
        case .view(let v):
            switch v.kind {
            case .keys:
                _ = try DictKey(needle)
                return v.dict[needle] != nil
            case .values, .items:
                for item in v.elements where try pyEqual(item, needle) { return true }
                return false
            }
        case .iterator(let it):
            while let item = try it.next() { if try pyEqual(item, needle) { return true } }
            return false
        default:
            throw TemplateError(.type, "argument of type '\(haystack.typeName)' is not iterable")
        }
    }
}
