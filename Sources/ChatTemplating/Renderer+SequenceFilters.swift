/// jinja2's filters over sequences: `first last list join reverse sort
/// unique dictsort items map select reject selectattr rejectattr batch
/// slice sum min max groupby`. Where jinja2 returns a generator, so do these
/// (`PyIterator`), with the same one-pass behaviour.
extension Renderer {
    func runSequenceFilter(_ name: String, _ value: Value, _ args: CallArguments) throws -> Value {
        switch name {
        case "first":
            try args.none(name)
            if case .iterator(let it) = value { return try it.next() ?? .missing("No first item, sequence was empty.") }
            if case .undefined = value { return .missing("No first item, sequence was empty.") }
            return try iterate(value).first ?? .missing("No first item, sequence was empty.")
        case "last":
            try args.none(name)
            switch value {
            case .iterator(let it): throw TemplateError(.type, "'\(it.typeName)' object is not reversible")
            case .undefined: return .missing("No last item, sequence was empty.")
            default: return try iterate(value).last ?? .missing("No last item, sequence was empty.")
            }
        case "list":
            try args.none(name)
            return try made(list: try iterate(value))
        case "join":
            let slots = try args.bind(name, ["d", "attribute"])
            var items = try iterate(value)
            if let attribute = slots[1], !attribute.isNone { items = try items.map { try attributePath(attribute)($0) } }
            let parts = try items.map { try $0.str() }
            return try made(parts.joined(separator: try (slots[0] ?? .emptyString).str()))
        case "reverse":
            try args.none(name)
            switch value {
            case .string(let s): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            case .iterator: return try made(list: try iterate(value).reversed())
            case .list, .tuple, .dict, .undefined, .view:
                let typeName = value.typeName == "tuple" || value.typeName == "list" ? "\(value.typeName)_reverseiterator" : "reversed"
                return .iterator(PyIterator(typeName, try iterate(value).reversed()))
            default: throw TemplateError(.type, "argument must be iterable")
            }
        case "sort":
            let slots = try args.bind(name, ["reverse", "case_sensitive", "attribute"])
            let keys = try attributeKeys(slots[2], caseSensitive: slots[1]?.isTruthy ?? false)
            return try made(list: try sorted(try iterate(value), key: keys, reverse: slots[0]?.isTruthy ?? false))
        case "unique":
            let slots = try args.bind(name, ["case_sensitive", "attribute"])
            let key = try attributePath(slots[1] ?? .none, lowercase: !(slots[0]?.isTruthy ?? false))
            var seen = Set<DictKey>()
            return .iterator(PyIterator("generator", try iterate(value)) { item in
                seen.insert(try DictKey(try key(item))).inserted ? item : nil
            })
        case "dictsort":
            let slots = try args.bind(name, ["case_sensitive", "by", "reverse"])
            guard case .dict(let d) = value else { throw TemplateError(.type, "dictsort needs a mapping, not \(value.typeName)") }
            let by = try (slots[1] ?? .string("key")).str()
            guard by == "key" || by == "value" else { throw TemplateError(.value, "You can only sort by either 'key' or 'value'") }
            let caseSensitive = slots[0]?.isTruthy ?? false
            let pairs = d.items.map { Value.tuple([$0.0, $0.1]) }
            let key: (Value) throws -> [Value] = { pair in
                guard case .tuple(let kv) = pair else { return [pair] }
                let k = kv[by == "key" ? 0 : 1]
                return [caseSensitive ? k : Renderer.ignoreCase(k)]
            }
            return try made(list: try sorted(pairs, key: key, reverse: slots[2]?.isTruthy ?? false))
        case "items":
            try args.none(name)
            if case .undefined = value { return .iterator(PyIterator("generator", [])) }
            guard case .dict(let d) = value else { throw TemplateError(.type, "Can only get item pairs from a mapping.") }
            return .iterator(PyIterator("generator", d.items.map { .tuple([$0.0, $0.1]) }))
        case "map":
            try checkNesting(args)  // the transform keeps them (see Renderer+Nesting)
            return .iterator(PyIterator("generator", value.isTruthy ? try iterate(value) : [], transform: try mapper(args)))
        case "select", "reject", "selectattr", "rejectattr":
            try checkNesting(args)  // the test keeps them (see Renderer+Nesting)
            let test = try selector(args, byAttribute: name.hasSuffix("attr"))
            let keep = name.hasPrefix("select")
            return .iterator(PyIterator("generator", value.isTruthy ? try iterate(value) : []) { item in
                try test(item) == keep ? item : nil
            })
        case "batch":
            let slots = try args.bind(name, ["linecount", "fill_with"], required: 1)
            guard case .int(let size) = (slots[0] ?? .none).numericValue, size > 0 else {
                throw TemplateError(.value, "batch size must be a positive integer")
            }
            var groups: [Value] = [], current: [Value] = []
            for item in try iterate(value) {
                if current.count == size { groups.append(.list(current)); current = [] }
                current.append(item)
            }
            if !current.isEmpty {
                if let fill = slots[1], !fill.isNone { current += Array(repeating: fill, count: size - current.count) }
                groups.append(.list(current))
            }
            return .iterator(PyIterator("generator", groups))
        case "slice":
            let slots = try args.bind(name, ["slices", "fill_with"], required: 1)
            guard case .int(let count) = (slots[0] ?? .none).numericValue, count > 0 else {
                throw TemplateError(.value, "slice count must be a positive integer")
            }
            let items = try iterate(value)
            let per = items.count / count, extra = items.count % count
            var groups: [Value] = [], offset = 0
            for n in 0..<min(count, limits.maxRangeLength) {
                let start = offset + n * per
                if n < extra { offset += 1 }
                var part = Array(items[start..<(offset + (n + 1) * per)])
                if let fill = slots[1], !fill.isNone, n >= extra { part.append(fill) }
                groups.append(.list(part))
            }
            return .iterator(PyIterator("generator", groups))
        case "sum":
            let slots = try args.bind(name, ["attribute", "start"])
            var total = slots[1] ?? .int(0)
            if case .string = total { throw TemplateError(.type, "sum() can't sum strings [use ''.join(seq) instead]") }
            let key = try attributePath(slots[0] ?? .none)
            for item in try iterate(value) { total = try Operators.binary(.add, total, try key(item), self) }
            return total
        case "min", "max":
            let slots = try args.bind(name, ["case_sensitive", "attribute"])
            let key = try attributePath(slots[1] ?? .none, lowercase: !(slots[0]?.isTruthy ?? false))
            var best: (item: Value, key: Value)? = nil
            for item in try iterate(value) {
                let k = try key(item)
                if let current = best {
                    let order = try Value.pyCompare(k, current.key, op: name == "min" ? "<" : ">") ?? 0
                    if name == "min" ? order < 0 : order > 0 { best = (item, k) }
                } else {
                    best = (item, k)
                }
            }
            return best?.item ?? .missing("No aggregated item, sequence was empty.")
        case "groupby":
            return try groupBy(value, args)
        default:
            throw TemplateError(.type, "No filter named '\(name)'.")
        }
    }

    /// Python's `str.lower` for strings, identity otherwise (`jinja2.filters.ignore_case`).
    static func ignoreCase(_ v: Value) -> Value {
        if case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    /// jinja2's `make_attrgetter`: "a.b.0" looks up item/attribute `a`, then `b`, then index 0.
    func attributePath(_ attribute: Value, lowercase: Bool = false, default fallback: Value? = nil) throws -> (Value) throws -> Value {
        var parts: [Value] = []
        switch attribute {
        case .none: break
        case .string(let s):
            parts = PyString.split(s, separator: ".", maxSplit: -1).map { p in
                !p.isEmpty && p.unicodeScalars.allSatisfy({ $0.properties.numericType == .decimal }) ? (Int(p).map { .int($0) } ?? .string(p)) : .string(p)
            }
        default: parts = [attribute]
        }
        return { [unowned self] item in
            var v = item
            for part in parts {
                v = try self.getitem(v, part)
                if let fallback, v.isUndefined { v = fallback }
            }
            return lowercase ? Renderer.ignoreCase(v) : v
        }
    }

    /// Sort keys for `sort(attribute="a,b")`: one key per comma-separated path.
    private func attributeKeys(_ attribute: Value?, caseSensitive: Bool) throws -> (Value) throws -> [Value] {
        var paths: [Value] = [attribute ?? .none]
        if case .string(let s) = attribute ?? .none { paths = PyString.split(s, separator: ",", maxSplit: -1).map { .string($0) } }
        let getters = try paths.map { try attributePath($0, lowercase: !caseSensitive) }
        return { item in try getters.map { try $0(item) } }
    }

    /// A stable sort by Python ordering of the keys; `reverse` keeps equal items in their original order, as `sorted` does.
    func sorted(_ items: [Value], key: (Value) throws -> [Value], reverse: Bool) throws -> [Value] {
        try charge(items.count * max(1, Int.bitWidth - items.count.leadingZeroBitCount))
        let keyed = try items.enumerated().map { (offset: $0.offset, key: Value.list(try key($0.element)), item: $0.element) }
        var failure: Error? = nil
        let ordered = keyed.sorted { a, b in
            guard failure == nil else { return false }
            do {
                let order = try Value.pyCompare(a.key, b.key) ?? 0
                if order != 0 { return reverse ? order > 0 : order < 0 }
            } catch {
                failure = error
            }
            return a.offset < b.offset
        }
        if let failure { throw failure }
        return ordered.map(\.item)
    }

    /// `map(attribute=…, default=…)` or `map("filter", args…)`.
    private func mapper(_ args: CallArguments) throws -> (Value) throws -> Value? {
        if args.positional.isEmpty, let attribute = args.keyword.first(where: { $0.name == "attribute" })?.value {
            let fallback = args.keyword.first(where: { $0.name == "default" })?.value
            if let extra = args.keyword.first(where: { $0.name != "attribute" && $0.name != "default" }) {
                throw TemplateError(.type, "Unexpected keyword argument '\(extra.name)'")
            }
            let getter = try attributePath(attribute, default: fallback)
            return { try getter($0) }
        }
        guard case .string(let filter) = args.positional.first ?? .none else {
            throw TemplateError(.type, "map requires a filter argument")
        }
        let rest = CallArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
        return { [unowned self] item in try self.runFilter(filter, item, rest) }
    }

    /// The test of `select`/`reject` (optionally on an attribute): a named test with arguments, or truthiness.
    private func selector(_ args: CallArguments, byAttribute: Bool) throws -> (Value) throws -> Bool {
        var positional = args.positional
        var getter: (Value) throws -> Value = { $0 }
        if byAttribute {
            guard !positional.isEmpty else { throw TemplateError(.type, "Missing parameter for attribute name") }
            getter = try attributePath(positional.removeFirst())
        }
        guard !positional.isEmpty else { return { try getter($0).isTruthy } }
        guard case .string(let test) = positional.removeFirst() else { throw TemplateError(.type, "test name must be a string") }
        let rest = CallArguments(positional: positional, keyword: args.keyword)
        return { [unowned self] item in try self.runTest(test, try getter(item), rest) }
    }

    /// `groupby(attribute, default=None, case_sensitive=False)`: sorted by
    /// the key, then runs of equal keys; each group is `(key, items)`.
    private func groupBy(_ value: Value, _ args: CallArguments) throws -> Value {
        let slots = try args.bind("groupby", ["attribute", "default", "case_sensitive"], required: 1)
        let caseSensitive = slots[2]?.isTruthy ?? false
        let getter = try attributePath(slots[0] ?? .none, lowercase: !caseSensitive, default: slots[1].flatMap { $0.isNone ? nil : $0 })
        let original = try attributePath(slots[0] ?? .none, default: slots[1].flatMap { $0.isNone ? nil : $0 })
        let items = try sorted(try iterate(value), key: { [try getter($0)] }, reverse: false)
        var groups: [Value] = []
        var currentKey: Value? = nil, currentItems: [Value] = []
        func flush() throws {
            guard let currentKey, let first = currentItems.first else { return }
            groups.append(.tuple([caseSensitive ? currentKey : try original(first), .list(currentItems)]))
        }
        for item in items {
            let k = try getter(item)
            if let c = currentKey, try Value.pyEqual(c, k) {
                currentItems.append(item)
            } else {
                try flush()
                currentKey = k
                currentItems = [item]
            }
        }
        try flush()
        return try made(list: groups)
    }
}
