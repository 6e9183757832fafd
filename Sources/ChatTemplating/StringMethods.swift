/// Python's `str` methods, on code points (see `PyString`).
enum StringMethods {
    static func call(_ s: String, _ name: String, _ args: CallArguments, _ r: Renderer) throws -> Value {
        try r.chargeText(s.utf8.count)
        func text(_ v: Value?, _ what: String) throws -> String? {
            guard let v, !v.isNone else { return nil }
            guard case .string(let t) = v else {
                throw TemplateError(.type, "\(name)() argument \(what) must be str or None, not \(v.typeName)")
            }
            return t
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            let slots = try args.bind(name, ["chars"])
            let chars = try text(slots[0], "1")
            return .string(PyString.strip(s, chars: chars, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let slots = try args.bind(name, ["sep", "maxsplit"])
            let separator = try text(slots[0], "sep")
            if separator == "" { throw TemplateError(.value, "empty separator") }
            let maxSplit = try int(slots[1], name) ?? -1
            let parts = name == "split" ? PyString.split(s, separator: separator, maxSplit: maxSplit)
                                        : PyString.rsplit(s, separator: separator, maxSplit: maxSplit)
            return try r.made(list: parts.map { .string($0) })
        case "splitlines":
            let slots = try args.bind(name, ["keepends"])
            return try r.made(list: PyString.splitLines(s, keepEnds: slots[0]?.isTruthy ?? false).map { .string($0) })
        case "startswith", "endswith":
            guard args.keyword.isEmpty, (1...3).contains(args.positional.count) else {
                throw TemplateError(.type, "\(name)() takes from 1 to 3 positional arguments")
            }
            let scalars = Array(s.unicodeScalars)
            let range = try bounds(args.positional.dropFirst(), count: scalars.count)
            let part = range.isEmpty ? "" : String(String.UnicodeScalarView(scalars[range]))
            let candidates: [Value]
            switch args.positional[0] {
            case .tuple(let items): candidates = items
            case .string: candidates = [args.positional[0]]
            default:
                throw TemplateError(.type, "\(name) first arg must be str or a tuple of str, not \(args.positional[0].typeName)")
            }
            for c in candidates {
                guard case .string(let affix) = c else {
                    throw TemplateError(.type, "tuple for \(name) must only contain str, not \(c.typeName)")
                }
                if name == "startswith" ? PyString.hasPrefix(part, affix) : PyString.hasSuffix(part, affix) { return .bool(true) }
            }
            return .bool(false)
        case "replace":
            let slots = try args.bind(name, ["old", "new", "count"], required: 2)
            guard let old = try text(slots[0], "1"), let new = try text(slots[1], "2") else {
                throw TemplateError(.type, "replace() arguments must be str")
            }
            let count = try int(slots[2], name) ?? -1
            let estimate = new.utf8.count > old.utf8.count
                ? s.utf8.count + (new.utf8.count - old.utf8.count) * (old.isEmpty ? s.unicodeScalars.count + 1 : PyString.count(s, old))
                : s.utf8.count
            try r.reserveString(bytes: estimate)
            return .string(PyString.replace(s, old, new, count: count))
        case "upper": try args.none(name); return .string(s.uppercased())
        case "lower": try args.none(name); return .string(s.lowercased())
        case "casefold": try args.none(name); return .string(s.lowercased())
        case "title": try args.none(name); return .string(title(s))
        case "capitalize": try args.none(name); return .string(capitalize(s))
        case "swapcase":
            try args.none(name)
            var out = ""
            for c in s.unicodeScalars {
                out += c.properties.isUppercase ? c.properties.lowercaseMapping
                    : (c.properties.isLowercase ? c.properties.uppercaseMapping : String(c))
            }
            return .string(out)
        case "find", "rfind", "index", "rindex", "count":
            guard args.keyword.isEmpty, (1...3).contains(args.positional.count),
                  case .string(let sub) = args.positional[0] else {
                throw TemplateError(.type, "\(name)() takes a str and optional start and end")
            }
            return try search(s, sub, name, args.positional.dropFirst())
        case "join":
            let slots = try args.bind(name, ["iterable"], required: 1)
            var parts: [String] = []
            for (i, item) in try r.iterate(slots[0] ?? .none).enumerated() {
                guard case .string(let p) = item else {
                    throw TemplateError(.type, "sequence item \(i): expected str instance, \(item.typeName) found")
                }
                parts.append(p)
            }
            return try r.made(parts.joined(separator: s))
        case "center", "ljust", "rjust":
            let slots = try args.bind(name, ["width", "fillchar"], required: 1)
            let width = try int(slots[0], name) ?? 0
            let fill = try text(slots[1], "2") ?? " "
            guard fill.unicodeScalars.count == 1 else {
                throw TemplateError(.type, "The fill character must be exactly one character long")
            }
            try r.reserveString(bytes: max(0, width).saturatingMultiply(fill.utf8.count).saturatingAdd(s.utf8.count))
            return .string(pad(s, width: width, fill: fill, mode: name))
        case "zfill":
            let slots = try args.bind(name, ["width"], required: 1)
            let width = try int(slots[0], name) ?? 0
            try r.reserveString(bytes: max(0, width).saturatingAdd(s.utf8.count))
            return .string(zfill(s, width))
        case "partition", "rpartition":
            let slots = try args.bind(name, ["sep"], required: 1)
            guard let sep = try text(slots[0], "1"), !sep.isEmpty else { throw TemplateError(.value, "empty separator") }
            let h = Array(s.utf8), n = Array(sep.utf8)
            let found = name == "partition" ? PyString.find(n, in: h) : PyString.findLast(n, in: h, upTo: h.count)
            guard let p = found else {
                return name == "partition" ? .tuple([.string(s), .emptyString, .emptyString]) : .tuple([.emptyString, .emptyString, .string(s)])
            }
            return .tuple([.string(String(decoding: h[..<p], as: UTF8.self)), .string(sep),
                           .string(String(decoding: h[(p + n.count)...], as: UTF8.self))])
        case "removeprefix", "removesuffix":
            let slots = try args.bind(name, ["affix"], required: 1)
            guard let affix = try text(slots[0], "1") else { throw TemplateError(.type, "\(name)() argument must be str") }
            if name == "removeprefix", PyString.hasPrefix(s, affix) { return .string(String(decoding: Array(s.utf8).dropFirst(affix.utf8.count), as: UTF8.self)) }
            if name == "removesuffix", PyString.hasSuffix(s, affix), !affix.isEmpty { return .string(String(decoding: Array(s.utf8).dropLast(affix.utf8.count), as: UTF8.self)) }
            return .string(s)
        case "format":
            return try r.made(try BraceFormat.format(s, args, r))
        default:
            try args.none(name)
            return .bool(predicate(s, name))
        }
    }

    private static func int(_ v: Value?, _ function: String) throws -> Int? {
        guard let v, !v.isNone else { return nil }
        guard v.isIntegerLike, case .int(let i) = v.numericValue else {
            throw TemplateError(.type, "'\(v.typeName)' object cannot be interpreted as an integer")
        }
        return i
    }

    /// The code-point range `[start:end]` selects, Python-style (negative from the end, clamped).
    static func bounds<C: Collection>(_ args: C, count: Int) throws -> Range<Int> where C.Element == Value {
        let values = Array(args)
        func index(_ i: Int, _ fallback: Int) throws -> Int {
            guard i < values.count, !values[i].isNone else { return fallback }
            guard let v = try int(values[i], "slice") else { return fallback }
            return v < 0 ? max(0, v + count) : min(v, count)
        }
        let start = try index(0, 0), end = try index(1, count)
        return start < end ? start..<end : start..<start
    }

    private static func search(_ s: String, _ sub: String, _ name: String, _ rest: ArraySlice<Value>) throws -> Value {
        let scalars = Array(s.unicodeScalars)
        let range = try bounds(rest, count: scalars.count)
        let h = Array(scalars[range]), n = Array(sub.unicodeScalars)
        var hits: [Int] = []
        if n.isEmpty {
            hits = Array(0...h.count)
        } else if n.count <= h.count {
            let hb = Array(String(String.UnicodeScalarView(h)).utf8), nb = Array(sub.utf8)
            var from = 0
            // Byte offsets map back to code-point offsets through the prefix length.
            while let p = PyString.find(nb, in: hb, from: from) {
                hits.append(String(decoding: hb[..<p], as: UTF8.self).unicodeScalars.count)
                from = p + (name == "count" ? nb.count : 1)
            }
        }
        switch name {
        case "count": return .int(n.isEmpty ? h.count + 1 : hits.count)
        case "find", "index":
            if let first = hits.first { return .int(range.lowerBound + first) }
        default:
            if let last = hits.last { return .int(range.lowerBound + last) }
        }
        if name == "index" || name == "rindex" { throw TemplateError(.value, "substring not found") }
        return .int(-1)
    }

    /// `str.title()`: a cased character after an uncased one is title-cased, the rest lower-cased.
    static func title(_ s: String) -> String {
        var out = "", previousCased = false
        for c in s.unicodeScalars {
            out += previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
            previousCased = c.properties.isCased
        }
        return out
    }

    /// `str.capitalize()`: the first character title-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        var out = "", first = true
        for c in s.unicodeScalars {
            out += first ? c.properties.titlecaseMapping : c.properties.lowercaseMapping
            first = false
        }
        return out
    }

    /// `center`/`ljust`/`rjust` (`center` puts the odd fill character on the right unless the width is odd, as CPython).
    static func pad(_ s: String, width: Int, fill: String, mode: String) -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        let margin = width - n
        let left: Int
        switch mode {
        case "ljust": left = 0
        case "rjust": left = margin
        default: left = margin / 2 + (margin & width & 1)
        }
        return String(repeating: fill, count: left) + s + String(repeating: fill, count: margin - left)
    }

    private static func zfill(_ s: String, _ width: Int) -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        var body = Substring(s), sign = ""
        if let f = body.first, f == "+" || f == "-" { sign = String(f); body = body.dropFirst() }
        return sign + String(repeating: "0", count: width - n) + body
    }

    private static func predicate(_ s: String, _ name: String) -> Bool {
        let scalars = s.unicodeScalars
        switch name {
        case "islower": return Methods.isLower(s)
        case "isupper": return Methods.isUpper(s)
        case "isascii": return scalars.allSatisfy { $0.isASCII }
        case "isidentifier":
            guard let f = scalars.first, f == "_" || f.properties.isXIDStart else { return false }
            return scalars.dropFirst().allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
        case "istitle":
            var previousCased = false, any = false
            for c in scalars {
                if c.properties.isUppercase || c.properties.generalCategory == .titlecaseLetter {
                    if previousCased { return false }
                    previousCased = true; any = true
                } else if c.properties.isLowercase {
                    if !previousCased { return false }
                    any = true
                } else {
                    previousCased = false
                }
            }
            return any
        default:
            guard !scalars.isEmpty else { return false }
            return scalars.allSatisfy { c in
                let p = c.properties
                switch name {
                case "isspace": return PyString.isSpace(c)
                case "isalpha": return p.isAlphabetic && p.numericType == nil
                case "isdigit": return p.numericType == .decimal || p.numericType == .digit
                case "isdecimal": return p.numericType == .decimal
                case "isnumeric": return p.numericType != nil
                default: return p.numericType != nil || p.isAlphabetic   // isalnum
                }
            }
        }
    }
}
