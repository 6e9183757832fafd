import OrderedJSON

/// JSON text for a parsed value, members in their order (what a case file
/// cut out of the golden corpus needs: `tojson` renders keys in that order).
enum JSONText {
    static func write(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .float(let d): return "\(d)"
        case .string(let s): return JSONString.quoted(s)
        case .array(let items): return "[" + items.map(write).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { JSONString.quoted($0.key) + ":" + write($0.value) }.joined(separator: ",") + "}"
        }
    }
}
