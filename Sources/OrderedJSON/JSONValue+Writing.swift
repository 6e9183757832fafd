extension JSONValue {
    /// The value as JSON text, members in their order. With `indent` > 0,
    /// one member or element per line as Python's `json.dumps(indent=…)`
    /// writes it (what transformers' `save_pretrained` uses for config.json);
    /// 0 gives the compact form. Floats print in their shortest round-trip
    /// form; a non-finite float (only accepted with
    /// `JSONParseOptions.allowNonFiniteNumbers`) prints as Python writes it.
    public func serialized(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" + String(repeating: " ", count: indent * (level + 1)) : ""
        let closing = indent > 0 ? "\n" + String(repeating: " ", count: indent * level) : ""
        let separator = indent > 0 ? "," : ", "
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let n): out += String(n)
        case .float(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += "\(d)" }
        case .string(let s): out += JSONString.quoted(s)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                out += (i > 0 ? separator : "") + newline
                item.write(into: &out, indent: indent, level: level + 1)
            }
            out += closing + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, member) in members.enumerated() {
                out += (i > 0 ? separator : "") + newline + JSONString.quoted(member.key) + ": "
                member.value.write(into: &out, indent: indent, level: level + 1)
            }
            out += closing + "}"
        }
    }
}
