/// `json.dumps(x, ensure_ascii=False, indent=indent, separators=…,
/// sort_keys=…)`, which transformers installs as the `tojson` filter: keys
/// in insertion order, non-ASCII kept (unless `ensure_ascii`), `", "` and
/// `": "` separators (`","` between items when indenting), floats as
/// Python's `repr`, `NaN`/`Infinity` for non-finite numbers, and a
/// `TypeError` for values JSON cannot hold.
struct JSONDump {
    var ensureASCII = false
    /// The indent unit, or nil for one line.
    var indent: String? = nil
    /// Raised when a container needs indenting (Python builds the indent
    /// string lazily, so a bad `indent` only fails on lists and dicts).
    var indentError: TemplateError? = nil
    var itemSeparator = ", "
    var keySeparator = ": "
    var sortKeys = false

    func dump(_ v: Value) throws -> String {
        var out = ""
        try write(v, &out, level: 0)
        return out
    }

    private func write(_ v: Value, _ out: inout String, level: Int) throws {
        guard level < Value.maxNesting else { throw TemplateError.tooDeep() }
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d): out += JSONDump.float(d)
        case .string(let s): quote(s, &out)
        case .list(let items), .tuple(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                try newline(&out, level + 1)
                try write(item, &out, level: level + 1)
            }
            try newline(&out, level)
            out += "]"
        case .dict(let d):
            guard !d.isEmpty else { out += "{}"; return }
            var pairs: [(String, Value)] = []
            for (k, value) in d.items { pairs.append((try JSONDump.key(k), value)) }
            if sortKeys { pairs = pairs.enumerated().sorted { PyString.compare($0.element.0, $1.element.0) < 0 || (PyString.compare($0.element.0, $1.element.0) == 0 && $0.offset < $1.offset) }.map(\.element) }
            out += "{"
            for (i, (k, value)) in pairs.enumerated() {
                if i > 0 { out += itemSeparator }
                try newline(&out, level + 1)
                quote(k, &out)
                out += keySeparator
                try write(value, &out, level: level + 1)
            }
            try newline(&out, level)
            out += "}"
        default:
            throw TemplateError(.type, "Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private func newline(_ out: inout String, _ level: Int) throws {
        if let indentError { throw indentError }
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    /// Dict keys as `json.dumps` converts them: str as is, numbers, bools and None as their JSON text.
    private static func key(_ k: Value) throws -> String {
        switch k {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return float(d)
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        default: throw TemplateError(.type, "keys must be str, int, float, bool or None, not \(k.typeName)")
        }
    }

    private static func float(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return PyFloat.repr(d)
    }

    /// `json.encoder.py_encode_basestring` (or the ASCII variant).
    private func quote(_ s: String, _ out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 || (ensureASCII && c.value > 0x7E) {
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        out += JSONDump.u(0xD800 + (v >> 10)) + JSONDump.u(0xDC00 + (v & 0x3FF))
                    } else {
                        out += JSONDump.u(c.value)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }

    private static func u(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
