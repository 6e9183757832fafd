/// Python methods on template values: `str` methods (`strip`, `split`,
/// `startswith`, …), `dict.get/keys/values/items`, `list.index/count`, and
/// `loop.cycle/changed`. Methods that mutate a list or dict exist in Python
/// but the immutable sandbox refuses them (`ImmutableSandboxedEnvironment`).
enum Methods {
    static let stringMethods: Set<String> = [
        "capitalize", "casefold", "center", "count", "endswith", "find", "format", "index", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isspace", "istitle", "isupper",
        "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex",
        "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
        "upper", "zfill",
    ]
    static let dictMethods: Set<String> = ["keys", "values", "items", "get", "copy"]
    static let listMethods: Set<String> = ["count", "index", "copy"]
    static let forbiddenDict: Set<String> = ["clear", "pop", "popitem", "setdefault", "update"]
    static let forbiddenList: Set<String> = ["append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove"]

    static func exists(_ v: Value, _ name: String) -> Bool {
        switch v {
        case .string: return stringMethods.contains(name)
        case .dict: return dictMethods.contains(name)
        case .list: return listMethods.contains(name)
        case .tuple: return name == "count" || name == "index"
        case .float: return name == "is_integer"
        default: return false
        }
    }

    static func isForbidden(_ v: Value, _ name: String) -> Bool {
        switch v {
        case .dict: return forbiddenDict.contains(name)
        case .list: return forbiddenList.contains(name)
        default: return false
        }
    }

    static func call(_ receiver: Value, _ name: String, _ args: CallArguments, _ r: Renderer) throws -> Value {
        switch receiver {
        case .string(let s): return try StringMethods.call(s, name, args, r)
        case .dict(let d): return try dict(d, name, args, r)
        case .list(let items), .tuple(let items): return try sequence(receiver, items, name, args, r)
        case .float(let d) where name == "is_integer":
            try args.none(name)
            return .bool(d.isFinite && d == d.rounded())
        case .loop(let loop):
            guard args.keyword.isEmpty else { throw TemplateError(.type, "\(name)() takes no keyword arguments") }
            return name == "cycle" ? try loop.cycle(args.positional) : .bool(try loop.changed(args.positional))
        default:
            throw TemplateError(.type, "'\(receiver.typeName)' object has no method '\(name)'")
        }
    }

    private static func dict(_ d: PyDict, _ name: String, _ args: CallArguments, _ r: Renderer) throws -> Value {
        switch name {
        case "keys": try args.none(name); return .view(DictView(kind: .keys, dict: d))
        case "values": try args.none(name); return .view(DictView(kind: .values, dict: d))
        case "items": try args.none(name); return .view(DictView(kind: .items, dict: d))
        case "copy": try args.none(name); return .dict(d)
        case "get":
            guard args.keyword.isEmpty else { throw TemplateError(.type, "get() takes no keyword arguments") }
            guard (1...2).contains(args.positional.count) else {
                throw TemplateError(.type, "get expected 1 or 2 arguments, got \(args.positional.count)")
            }
            let key = args.positional[0]
            _ = try DictKey(key)
            return d[key] ?? (args.positional.count > 1 ? args.positional[1] : .none)
        default:
            throw TemplateError(.security, "access to attribute '\(name)' of 'dict' object is unsafe.")
        }
    }

    private static func sequence(_ receiver: Value, _ items: [Value], _ name: String, _ args: CallArguments, _ r: Renderer) throws -> Value {
        try r.charge(items.count)
        switch name {
        case "copy":
            try args.none(name)
            return receiver
        case "count":
            let slots = try args.bind(name, ["value"], required: 1)
            var n = 0
            for item in items where try Value.pyEqual(item, slots[0] ?? .none) { n += 1 }
            return .int(n)
        case "index":
            guard args.keyword.isEmpty, (1...3).contains(args.positional.count) else {
                throw TemplateError(.type, "index expected 1 to 3 arguments")
            }
            let target = args.positional[0]
            let range = try StringMethods.bounds(args.positional.dropFirst(), count: items.count)
            for i in range where try Value.pyEqual(items[i], target) { return .int(i) }
            throw TemplateError(.value, "\((try? target.repr()) ?? "value") is not in \(receiver.typeName)")
        default:
            throw TemplateError(.security, "access to attribute '\(name)' of '\(receiver.typeName)' object is unsafe.")
        }
    }

    /// `str.islower()`: has a cased character and no uppercase or titlecase one.
    static func isLower(_ s: String) -> Bool {
        var cased = false
        for c in s.unicodeScalars {
            if c.properties.isUppercase || c.properties.generalCategory == .titlecaseLetter { return false }
            if c.properties.isLowercase { cased = true }
        }
        return cased
    }

    /// `str.isupper()`: has a cased character and no lowercase or titlecase one.
    static func isUpper(_ s: String) -> Bool {
        var cased = false
        for c in s.unicodeScalars {
            if c.properties.isLowercase || c.properties.generalCategory == .titlecaseLetter { return false }
            if c.properties.isUppercase { cased = true }
        }
        return cased
    }
}
