/// `str.format(*args, **kwargs)`: `{}`, `{0}`, `{name}`, `{0.attr}`,
/// `{0[key]}`, `!r`/`!s`/`!a` conversions and `:spec` (with nested `{}` in
/// the spec), `{{`/`}}` for literal braces. Field lookups go through the
/// sandbox's attribute and item rules, as jinja2's `SandboxedFormatter` does.
enum BraceFormat {
    static func format(_ template: String, _ args: CallArguments, _ r: Renderer) throws -> String {
        var auto = 0
        return try render(Array(template), args, r, &auto, depth: 0)
    }

    private static func render(_ chars: [Character], _ args: CallArguments, _ r: Renderer, _ auto: inout Int, depth: Int) throws -> String {
        guard depth < 3 else { throw TemplateError(.value, "Max string recursion exceeded") }
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "}" {
                guard i + 1 < chars.count, chars[i + 1] == "}" else { throw TemplateError(.value, "Single '}' encountered in format string") }
                out.append("}"); i += 2; continue
            }
            guard c == "{" else { out.append(c); i += 1; continue }
            if i + 1 < chars.count, chars[i + 1] == "{" { out.append("{"); i += 2; continue }
            // Find the matching close brace (specs may nest one level of {}).
            var j = i + 1, level = 1
            while j < chars.count {
                if chars[j] == "{" { level += 1 } else if chars[j] == "}" { level -= 1; if level == 0 { break } }
                j += 1
            }
            guard j < chars.count else { throw TemplateError(.value, "expected '}' before end of string") }
            out += try field(Array(chars[(i + 1)..<j]), args, r, &auto, depth: depth)
            try r.reserveString(bytes: out.utf8.count)
            i = j + 1
        }
        return out
    }

    private static func field(_ inner: [Character], _ args: CallArguments, _ r: Renderer, _ auto: inout Int, depth: Int) throws -> String {
        var name = inner[...], conversion: Character? = nil, spec: [Character] = []
        if let colon = inner.firstIndex(of: ":") {
            name = inner[..<colon]
            spec = Array(inner[(colon + 1)...])
        }
        if let bang = name.firstIndex(of: "!") {
            guard bang + 2 == name.endIndex else { throw TemplateError(.value, "expected ':' after conversion specifier") }
            conversion = name[bang + 1]
            name = name[..<bang]
        }
        // First part: an index or a keyword name; then .attr / [key] accessors.
        var k = name.startIndex
        while k < name.endIndex, name[k] != ".", name[k] != "[" { k += 1 }
        let head = String(name[name.startIndex..<k])
        var value: Value
        if head.isEmpty {
            guard auto < args.positional.count else { throw TemplateError(.value, "Replacement index \(auto) out of range for positional args tuple") }
            value = args.positional[auto]; auto += 1
        } else if let index = Int(head) {
            guard index < args.positional.count else { throw TemplateError(.value, "Replacement index \(index) out of range for positional args tuple") }
            value = args.positional[index]
        } else {
            guard let v = args.keyword.last(where: { $0.name == head })?.value else { throw TemplateError(.value, "KeyError: '\(head)'") }
            value = v
        }
        while k < name.endIndex {
            if name[k] == "." {
                var e = k + 1
                while e < name.endIndex, name[e] != ".", name[e] != "[" { e += 1 }
                value = try r.getattr(value, String(name[(k + 1)..<e]))
                k = e
            } else {
                guard let close = name[k...].firstIndex(of: "]") else { throw TemplateError(.value, "Missing ']' in format string") }
                let key = String(name[(k + 1)..<close])
                value = try r.getitem(value, Int(key).map { .int($0) } ?? .string(key))
                k = close + 1
            }
        }
        switch conversion {
        case nil: break
        case "s": value = .string(try value.str())
        case "r", "a": value = .string(try value.repr())
        default: throw TemplateError(.value, "Unknown conversion specifier \(conversion!)")
        }
        let resolvedSpec = spec.contains("{") ? try render(spec, args, r, &auto, depth: depth + 1) : String(spec)
        return try FormatSpec(resolvedSpec, maxWidth: r.limits.maxOutputBytes).apply(value)
    }
}
