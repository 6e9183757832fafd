/// `a.b`, `a[b]` and slicing, with jinja2's sandboxed lookup rules: `a.b`
/// tries the Python attribute first (so `d.items` is the dict method, which
/// is why templates write `schema['items']`), then the item; `a[b]` tries
/// the item first, then (for a string `b`) the attribute. A missing
/// attribute or item is Undefined; a method the immutable sandbox forbids
/// (`list.append`, `dict.update`, …) is an Undefined that raises a security
/// error when used.
extension Renderer {
    func getattr(_ object: Value, _ name: String) throws -> Value {
        if case .undefined(let u) = object { throw u.error }
        if let attribute = try attribute(object, name) { return attribute }
        if let item = itemLookup(object, .string(name)) { return item }
        return .missing("'\(Renderer.objectDescription(object))' has no attribute '\(name)'")
    }

    func getitem(_ object: Value, _ key: Value) throws -> Value {
        if case .undefined(let u) = object { throw u.error }
        if let item = itemLookup(object, key) { return item }
        if case .string(let name) = key, let attribute = try attribute(object, name) { return attribute }
        if case .string = key {
            return .missing("'\(Renderer.objectDescription(object))' has no attribute \(Value.quote(key.stringValue ?? ""))")
        }
        return .missing("'\(Renderer.objectDescription(object))' has no element \((try? key.repr()) ?? "?")")
    }

    /// jinja2's `object_type_repr`: "dict object", "None", "str object".
    static func objectDescription(_ v: Value) -> String {
        if case .none = v { return "None" }
        return "\(v.typeName) object"
    }

    /// The Python attribute `name` of `object`: a method (bound, called
    /// later), a namespace attribute, a loop property; nil if it has none.
    private func attribute(_ object: Value, _ name: String) throws -> Value? {
        switch object {
        case .dict:
            // The hot case (`message.role`): most names are not dict methods.
            switch name {
            case "keys", "values", "items", "get", "copy": return .method(receiver: object, name: name)
            case "clear", "pop", "popitem", "setdefault", "update":
                return .undefined(Undefined(hint: "access to attribute '\(name)' of 'dict' object is unsafe.", unsafe: true))
            default: return nil
            }
        case .namespace(let ns):
            return ns[name]
        case .loop(let loop):
            return try loop.attribute(name)
        case .macro(let m):
            switch name {
            case "name": return .string(m.name)
            case "arguments": return .tuple(m.definition.parameters.map { .string($0) })
            case "catch_kwargs": return .bool(m.definition.catchesKwargs)
            case "catch_varargs": return .bool(m.definition.catchesVarargs)
            case "caller": return .bool(m.definition.usesCaller)
            default: return nil
            }
        case .int, .bool:
            switch name {
            case "real", "numerator": return Operators.plusValue(object)
            case "imag": return .int(0)
            case "denominator": return .int(1)
            default: return Methods.exists(object, name) ? .method(receiver: object, name: name) : nil
            }
        case .float(let d):
            switch name {
            case "real": return .float(d)
            case "imag": return .float(0)
            default: return Methods.exists(object, name) ? .method(receiver: object, name: name) : nil
            }
        default:
            if Methods.exists(object, name) { return .method(receiver: object, name: name) }
            if Methods.isForbidden(object, name) {
                return .undefined(Undefined(hint: "access to attribute '\(name)' of '\(object.typeName)' object is unsafe.", unsafe: true))
            }
            return nil
        }
    }

    /// `object[key]`, or nil where Python raises `TypeError`/`LookupError`
    /// (which jinja2 turns into Undefined).
    private func itemLookup(_ object: Value, _ key: Value) -> Value? {
        switch object {
        case .dict(let d):
            return d[key]
        case .list(let items), .tuple(let items):
            guard case .int(let i) = key.numericValue, key.isIntegerLike else { return nil }
            let index = i < 0 ? i + items.count : i
            return items.indices.contains(index) ? items[index] : nil
        case .string(let s):
            guard case .int(let i) = key.numericValue, key.isIntegerLike else { return nil }
            let scalars = s.unicodeScalars
            let count = scalars.count
            let index = i < 0 ? i + count : i
            guard index >= 0 && index < count else { return nil }
            return .string(String(scalars[scalars.index(scalars.startIndex, offsetBy: index)]))
        default:
            return nil
        }
    }

    /// `object[start:stop:step]` for lists, tuples and strings (Python's
    /// slice rules: negative indexes count from the end, bounds clamp, a
    /// negative step walks backwards, step 0 is an error).
    func slice(_ object: Value, _ start: Value?, _ stop: Value?, _ step: Value?) throws -> Value {
        // jinja2 compiles a slice to Python's own subscript, so errors propagate (no Undefined fallback).
        if case .undefined(let u) = object { throw u.error }
        func index(_ v: Value?) throws -> Int? {
            guard let v, !v.isNone else { return nil }
            guard v.isIntegerLike, case .int(let i) = v.numericValue else {
                throw TemplateError(.type, "slice indices must be integers or None or have an __index__ method")
            }
            return i
        }
        let a = try index(start), b = try index(stop), stride = try index(step) ?? 1
        guard stride != 0 else { throw TemplateError(.value, "slice step cannot be zero") }
        switch object {
        case .list(let items):
            return try made(list: Renderer.sliced(items, a, b, stride))
        case .tuple(let items):
            return .tuple(Renderer.sliced(items, a, b, stride))
        case .string(let s):
            try chargeText(s.utf8.count)
            let picked = Renderer.sliced(Array(s.unicodeScalars), a, b, stride)
            var out = ""
            out.unicodeScalars.append(contentsOf: picked)
            return .string(out)
        case .dict:
            throw TemplateError(.type, "unhashable type: 'slice'")
        default:
            throw TemplateError(.type, "'\(object.typeName)' object is not subscriptable")
        }
    }

    /// `PySlice_AdjustIndices` followed by the walk.
    static func sliced<T>(_ items: [T], _ start: Int?, _ stop: Int?, _ step: Int) -> [T] {
        let n = items.count
        func adjust(_ v: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
            guard var i = v else { return defaultValue }
            if i < 0 { i += n; if i < low { i = low } } else if i > high { i = high }
            return i
        }
        var out: [T] = []
        if step > 0 {
            let lo = adjust(start, 0, low: 0, high: n), hi = adjust(stop, n, low: 0, high: n)
            var i = lo
            while i < hi { out.append(items[i]); i += step }
        } else {
            let lo = adjust(start, n - 1, low: -1, high: n - 1), hi = adjust(stop, -1, low: -1, high: n - 1)
            var i = lo
            while i > hi { out.append(items[i]); i += step }
        }
        return out
    }
}

extension Value {
    /// True for ints and bools (valid list indexes in Python), false for floats.
    var isIntegerLike: Bool {
        switch self {
        case .int, .bool: return true
        default: return false
        }
    }
}

extension Operators {
    /// `+x` without the error cases, for `int.real`.
    static func plusValue(_ v: Value) -> Value {
        if case .bool(let b) = v { return .int(b ? 1 : 0) }
        return v
    }
}
