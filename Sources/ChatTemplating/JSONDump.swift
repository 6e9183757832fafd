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
        var out: [UInt8] = []
        try write(v, &out, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(_ v: Value, _ out: inout [UInt8], level: Int) throws {
        guard level < Value.maxNesting else { throw TemplateError.tooDeep() }
        switch v {
        case .none: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): out += String(i).utf8
        case .float(let d): out += JSONDump.float(d).utf8
        case .string(let s): quote(s, &out)
        case .list(let items), .tuple(let items):
            guard !items.isEmpty else { out += "[]".utf8; return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator.utf8 }
                try newline(&out, level + 1)
                try write(item, &out, level: level + 1)
            }
            try newline(&out, level)
            out.append(UInt8(ascii: "]"))
        case .dict(let d):
            guard !d.isEmpty else { out += "{}".utf8; return }
            var pairs: [(String, Value)] = []
            for (k, value) in d.items { pairs.append((try JSONDump.key(k), value)) }
            if sortKeys { pairs = pairs.enumerated().sorted { PyString.compare($0.element.0, $1.element.0) < 0 || (PyString.compare($0.element.0, $1.element.0) == 0 && $0.offset < $1.offset) }.map(\.element) }
            out.append(UInt8(ascii: "{"))
            for (i, (k, value)) in pairs.enumerated() {
                if i > 0 { out += itemSeparator.utf8 }
                try newline(&out, level + 1)
                quote(k, &out)
                out += keySeparator.utf8
                try write(value, &out, level: level + 1)
            }
            try newline(&out, level)
            out.append(UInt8(ascii: "}"))
        default:
            throw TemplateError(.type, "Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private func newline(_ out: inout [UInt8], _ level: Int) throws {
        if let indentError { throw indentError }
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<level { out += indent.utf8 }
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

    /// `json.encoder.py_encode_basestring` (or the ASCII variant): runs of
    /// bytes that need no escape are copied whole.
    private func quote(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                let plain = b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") && (b < 0x7F || !ensureASCII)
                if plain { i += 1; continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                if b >= 0x7F {
                    // ensure_ascii: the whole code point as \uXXXX (a surrogate pair above U+FFFF).
                    var it = bytes[i...].makeIterator()
                    var decoder = UTF8()
                    guard case .scalarValue(let c) = decoder.decode(&it) else { i += 1; runStart = i; continue }
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        out += (JSONDump.u(0xD800 + (v >> 10)) + JSONDump.u(0xDC00 + (v & 0x3FF))).utf8
                    } else {
                        out += JSONDump.u(c.value).utf8
                    }
                    i += UTF8.width(c)
                } else {
                    switch b {
                    case UInt8(ascii: "\""): out += "\\\"".utf8
                    case UInt8(ascii: "\\"): out += "\\\\".utf8
                    case UInt8(ascii: "\n"): out += "\\n".utf8
                    case UInt8(ascii: "\r"): out += "\\r".utf8
                    case UInt8(ascii: "\t"): out += "\\t".utf8
                    case 0x08: out += "\\b".utf8
                    case 0x0C: out += "\\f".utf8
                    default: out += JSONDump.u(UInt32(b)).utf8
                    }
                    i += 1
                }
                runStart = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func u(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
