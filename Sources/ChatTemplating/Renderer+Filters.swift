import Foundation

/// jinja2's built-in filters (`jinja2.filters.FILTERS`), with `tojson` as
/// transformers overrides it. Sequence filters are in
/// `Renderer+SequenceFilters.swift`.
extension Renderer {
    func applyFilter(_ f: FilterCall, to value: Value, _ scope: Scope) throws -> Value {
        let args = try evaluate(f.arguments, scope)
        do { return try runFilter(f.name, value, args) } catch let error as TemplateError { throw error.located(f.location) }
    }

    /// Whether jinja2 has a filter of this name (for `is filter` and the parse-time check).
    static func hasFilter(_ name: String) -> Bool { filterNames.contains(name) || unsupportedFilters.contains(name) }

    /// jinja2 filters this engine does not implement: they parse, and fail
    /// when used (none is meaningful in a chat prompt; `random` cannot be reproduced).
    static let unsupportedFilters: Set<String> = ["filesizeformat", "pprint", "random", "urlencode", "urlize", "wordwrap", "xmlattr"]

    private static let filterNames: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first",
        "float", "forceescape", "format", "groupby", "indent", "int", "items", "join", "last", "length", "list",
        "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
        "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique",
        "upper", "wordcount",
    ]

    func runFilter(_ name: String, _ value: Value, _ args: CallArguments) throws -> Value {
        switch name {
        case "default", "d":
            let slots = try args.bind(name, ["default_value", "boolean"])
            let useDefault = value.isUndefined || ((slots[1]?.isTruthy ?? false) && !value.isTruthy)
            return useDefault ? (slots[0] ?? .emptyString) : value
        case "length", "count":
            try args.none(name)
            return .int(try length(value))
        case _ where Renderer.unsupportedFilters.contains(name):
            throw TemplateError(.type, "the '\(name)' filter is not supported in chat templates")
        case "string":
            try args.none(name)
            if case .string = value { return value }
            return try made(value.str())
        case "trim":
            let slots = try args.bind(name, ["chars"])
            let chars = try slots[0].flatMap { v -> String? in v.isNone ? nil : try v.str() }
            return .string(PyString.strip(try value.str(), chars: chars, leading: true, trailing: true))
        case "upper", "lower", "capitalize", "title":
            try args.none(name)
            let s = try value.str()
            try chargeText(s.utf8.count)
            switch name {
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "capitalize": return .string(StringMethods.capitalize(s))
            default: return .string(Renderer.titleWords(s))
            }
        case "replace":
            let slots = try args.bind(name, ["old", "new", "count"], required: 2)
            var call = CallArguments(positional: [.string(try (slots[0] ?? .none).str()), .string(try (slots[1] ?? .none).str())])
            if let count = slots[2], !count.isNone { call.positional.append(count) }
            return try StringMethods.call(try value.str(), "replace", call, self)
        case "center":
            let slots = try args.bind(name, ["width"])
            return try StringMethods.call(try value.str(), "center", CallArguments(positional: [slots[0] ?? .int(80)]), self)
        case "tojson":
            return try toJSON(value, args)
        case "int":
            let slots = try args.bind(name, ["default", "base"])
            return try Conversions.toInt(value, default: slots[0] ?? .int(0), base: slots[1] ?? .int(10))
        case "float":
            let slots = try args.bind(name, ["default"])
            return try Conversions.toFloat(value) ?? (slots[0] ?? .float(0))
        case "round":
            let slots = try args.bind(name, ["precision", "method"])
            return try Conversions.round(value, precision: slots[0] ?? .int(0), method: slots[1] ?? .string("common"))
        case "abs":
            try args.none(name)
            switch value {
            case .bool(let b): return .int(b ? 1 : 0)
            case .int(let i):
                guard i != Int.min else { throw Operators.overflow() }
                return .int(abs(i))
            case .float(let d): return .float(abs(d))
            case .undefined(let u): throw u.error
            default: throw TemplateError(.type, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            let slots = try args.bind(name, ["name"], required: 1)
            if case .undefined(let u) = value { throw u.error }
            guard case .string(let attribute) = slots[0] ?? .none else { return .missing("attribute name must be a string") }
            let found = try getattr(value, attribute)
            // `attr` never falls back to items.
            if case .dict(let d) = value, d[string: attribute] != nil, !Methods.exists(value, attribute) {
                return .missing("'dict object' has no attribute '\(attribute)'")
            }
            return found
        case "format":
            let s = try value.str()
            if !args.keyword.isEmpty {
                guard args.positional.isEmpty else { throw TemplateError(.type, "can't handle positional and keyword arguments at the same time") }
                var d = PyDict()
                for (k, v) in args.keyword { d.set(.string(k), v) }
                return try made(try PercentFormat.format(s, .dict(d), self))
            }
            return try made(try PercentFormat.format(s, .tuple(args.positional), self))
        case "indent":
            let slots = try args.bind(name, ["width", "first", "blank"])
            return try made(try indent(try value.str(), width: slots[0] ?? .int(4), first: slots[1]?.isTruthy ?? false, blank: slots[2]?.isTruthy ?? false))
        case "truncate":
            let slots = try args.bind(name, ["length", "killwords", "end", "leeway"])
            return .string(try truncate(try value.str(), slots))
        case "wordcount":
            try args.none(name)
            return .int(Renderer.words(try value.str()))
        case "striptags":
            try args.none(name)
            return .string(Renderer.stripTags(try value.str()))
        case "escape", "e", "forceescape":
            try args.none(name)
            return try made(Renderer.htmlEscape(try value.str()))
        case "safe":
            try args.none(name)
            return value
        default:
            return try runSequenceFilter(name, value, args)
        }
    }

    /// `len(x)`.
    func length(_ value: Value) throws -> Int {
        switch value {
        case .string(let s): return PyString.length(s)
        case .list(let items), .tuple(let items): return items.count
        case .dict(let d): return d.count
        case .view(let v): return v.dict.count
        case .undefined: return 0
        case .loop(let loop): return try loop.length()
        default: throw TemplateError(.type, "object of type '\(value.typeName)' has no len()")
        }
    }

    /// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
    private func toJSON(_ value: Value, _ args: CallArguments) throws -> Value {
        let slots = try args.bind("tojson", ["ensure_ascii", "indent", "separators", "sort_keys"])
        var dump = JSONDump()
        dump.ensureASCII = slots[0]?.isTruthy ?? false
        dump.sortKeys = slots[3]?.isTruthy ?? false
        switch slots[1] ?? .none {
        case .none: break
        case .string(let s): dump.indent = s
        case let v where v.isIntegerLike:
            if case .int(let n) = v.numericValue { dump.indent = String(repeating: " ", count: max(0, min(n, 1000))) }
        case let v:
            dump.indent = ""
            dump.indentError = TemplateError(.type, "can't multiply sequence by non-int of type '\(v.typeName)'")
        }
        if dump.indent != nil { dump.itemSeparator = "," }
        if let separators = slots[2], !separators.isNone {
            let parts = try iterate(separators)
            guard parts.count == 2, case .string(let item) = parts[0], case .string(let key) = parts[1] else {
                throw TemplateError(.value, "separators must be an (item_separator, key_separator) pair of strings")
            }
            dump.itemSeparator = item
            dump.keySeparator = key
        }
        return try made(try dump.dump(value))
    }

    /// jinja2's `title` filter (not `str.title`): each word — split at
    /// whitespace, `-`, `(`, `{`, `[`, `<` — gets its first character upper-cased and the rest lower-cased.
    static func titleWords(_ s: String) -> String {
        var out = "", atWordStart = true
        for c in s.unicodeScalars {
            let separator = PyString.isSpace(c) || "-({[<".unicodeScalars.contains(c)
            if separator {
                out.unicodeScalars.append(c)
                atWordStart = true
            } else {
                out += atWordStart ? c.properties.uppercaseMapping : c.properties.lowercaseMapping
                atWordStart = false
            }
        }
        return out
    }

    private func indent(_ s: String, width: Value, first: Bool, blank: Bool) throws -> String {
        let unit: String
        switch width {
        case .string(let w): unit = w
        default:
            guard case .int(let n) = width.numericValue else { throw TemplateError(.type, "indent width must be an int or a string") }
            try reserveString(bytes: max(0, n))
            unit = String(repeating: " ", count: max(0, n))
        }
        let lineCount = s.utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let (extra, overflow) = lineCount.multipliedReportingOverflow(by: unit.utf8.count)
        try reserveString(bytes: overflow ? Int.max : s.utf8.count + extra)
        let lines = PyString.splitLines(s + "\n", keepEnds: false)
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + unit)
        } else {
            rv = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty { rv += "\n" + rest.map { $0.isEmpty ? $0 : unit + $0 }.joined(separator: "\n") }
        }
        return first ? unit + rv : rv
    }

    private func truncate(_ s: String, _ slots: [Value?]) throws -> String {
        guard case .int(let length) = (slots[0] ?? .int(255)).numericValue else { throw TemplateError(.type, "length must be an int") }
        let killWords = slots[1]?.isTruthy ?? false
        let end = try slots[2].map { try $0.str() } ?? "..."
        let leeway = (slots[3]).flatMap { v -> Int? in if case .int(let i) = v.numericValue { return i } else { return nil } } ?? 5
        let scalars = Array(s.unicodeScalars), endCount = end.unicodeScalars.count
        guard length >= endCount else { throw TemplateError(.value, "expected length >= \(endCount), got \(length)") }
        guard leeway >= 0 else { throw TemplateError(.value, "expected leeway >= 0, got \(leeway)") }
        if scalars.count <= length.saturatingAdd(leeway) { return s }
        let cut = String(String.UnicodeScalarView(scalars.prefix(length - endCount)))
        if killWords { return cut + end }
        // Drop the last (partial) word: everything after the final space.
        if let space = cut.lastIndex(of: " ") { return String(cut[..<space]) + end }
        return cut + end
    }

    static func words(_ s: String) -> Int {
        var count = 0, inWord = false
        for c in s.unicodeScalars {
            let isWord = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
            if isWord && !inWord { count += 1 }
            inWord = isWord
        }
        return count
    }

    static func stripTags(_ s: String) -> String {
        var out = "", depth = 0
        for c in s.unicodeScalars {
            if c == "<" { depth += 1; continue }
            if c == ">" && depth > 0 { depth -= 1; continue }
            if depth == 0 { out.unicodeScalars.append(c) }
        }
        return PyString.split(out, separator: nil, maxSplit: -1).joined(separator: " ")
    }

    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
