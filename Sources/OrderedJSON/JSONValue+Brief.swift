extension JSONValue {
    /// A short rendering for error messages: scalars as JSON writes them,
    /// strings quoted, small containers in full (`[1, 2]`); anything longer
    /// than about 60 characters is cut with "…", so a hostile document
    /// cannot blow up an error message.
    public var brief: String {
        var out = ""
        render(into: &out, budget: 60)
        return out
    }

    private func render(into out: inout String, budget: Int) {
        guard out.count < budget else { return }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += String(b)
        case .integer(let n): out += String(n)
        case .float(let n): out += n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .string(let s):
            let room = max(8, budget - out.count)
            out += s.count <= room ? "\"\(s)\"" : "\"\(s.prefix(room))…\""
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if out.count >= budget { out += "…"; break }
                if i > 0 { out += ", " }
                item.render(into: &out, budget: budget)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if out.count >= budget { out += "…"; break }
                if i > 0 { out += ", " }
                out += "\"\(member.key)\": "
                member.value.render(into: &out, budget: budget)
            }
            out += "}"
        }
    }
}
