/// Python's `str()` and `repr()`, which is what `{{ x }}`, `~`, `string`
/// and `join` produce: `None`, `True`, `1.0`, `[1, 'a']`, `{'k': None}`, `(1,)`.
extension Value {
    /// Deepest nesting of lists/dicts that printing, comparing or `tojson`
    /// follow before giving up (the recursion would otherwise be unbounded:
    /// a namespace can contain itself), and that a value may have where it
    /// is kept (`Renderer.checkNesting`).
    static let maxNesting = 1000

    /// `str(x)`; `Undefined` prints as "".
    func str() throws -> String {
        switch self {
        case .string(let s): return s
        case .undefined: return ""
        default: return try repr()
        }
    }

    /// `repr(x)`.
    func repr(depth: Int = 0) throws -> String {
        guard depth < Value.maxNesting else { throw TemplateError.tooDeep() }
        switch self {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return PyFloat.repr(d)
        case .string(let s): return Value.quote(s)
        case .list(let items):
            return "[" + (try items.map { try $0.repr(depth: depth + 1) }).joined(separator: ", ") + "]"
        case .tuple(let items):
            let inner = try items.map { try $0.repr(depth: depth + 1) }
            return "(" + inner.joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .dict(let d):
            return try Value.reprDict(d, depth: depth)
        case .namespace(let ns):
            return "<Namespace " + (try Value.reprDict(ns.attributes, depth: depth)) + ">"
        case .macro(let m): return "<Macro '\(m.name)'>"
        case .builtin(let b): return b.reprText
        case .method(let receiver, let name):
            return "<built-in method \(name) of \(receiver.typeName) object>"
        case .loop(let loop): return "<LoopContext \(loop.index0 + 1)/\(loop.lengthIfKnown.map(String.init) ?? "?")>"
        case .iterator(let it): return "<\(it.typeName) object>"
        case .view(let v): return v.typeName + "(" + (try Value.list(v.elements).repr(depth: depth + 1)) + ")"
        }
    }

    private static func reprDict(_ d: PyDict, depth: Int) throws -> String {
        var parts: [String] = []
        parts.reserveCapacity(d.count)
        for (k, v) in d.items { parts.append(try k.repr(depth: depth + 1) + ": " + v.repr(depth: depth + 1)) }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Python's string `repr`: single quotes unless the text has a `'` and no
    /// `"`; backslash escapes for the quote, `\\`, `\t\n\r`, and for code
    /// points that are not printable (`str.isprintable`).
    static func quote(_ s: String) -> String {
        let useDouble = s.utf8.contains(UInt8(ascii: "'")) && !s.utf8.contains(UInt8(ascii: "\""))
        let q: Unicode.Scalar = useDouble ? "\"" : "'"
        var out = String(q)
        out.reserveCapacity(s.utf8.count + 2)
        for c in s.unicodeScalars {
            switch c {
            case q, "\\": out.unicodeScalars.append("\\"); out.unicodeScalars.append(c)
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if c.value >= 0x20 && c.value < 0x7F || c.value > 0x7F && isPrintable(c) {
                    out.unicodeScalars.append(c)
                } else {
                    out += hexEscape(c.value)
                }
            }
        }
        out.unicodeScalars.append(q)
        return out
    }

    private static func hexEscape(_ v: UInt32) -> String {
        let (prefix, width) = v <= 0xFF ? ("\\x", 2) : (v <= 0xFFFF ? ("\\u", 4) : ("\\U", 8))
        let hex = String(v, radix: 16)
        return prefix + String(repeating: "0", count: width - hex.count) + hex
    }

    /// `str.isprintable()` for one non-ASCII code point: not a control,
    /// format, surrogate, private-use, unassigned or separator character.
    private static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
